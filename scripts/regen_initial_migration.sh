#!/usr/bin/env bash
# Regenerate the single initial migration from bot/records/models.py (pre-release only: no deployment
# has applied it yet). Run after changing a model; commit the result with the model change.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
rm -f bot/migrations/versions/0001_initial.py
$PY - "$tmp" <<'PYEOF'
import sys
from alembic import command
from bot.store.db import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/regen.db")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001_initial")
PYEOF
sed -i 's/bot\.models\.UTCDateTime()/bot.models.UTCDateTime()/' bot/migrations/versions/0001_initial*.py
mv bot/migrations/versions/0001_initial*.py bot/migrations/versions/0001_initial.py 2>/dev/null || true
rm -rf "$tmp"
echo "regenerated bot/migrations/versions/0001_initial.py"
