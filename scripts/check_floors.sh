#!/usr/bin/env bash
# The lowest versions pyproject.toml admits, installed in a scratch venv, must pass the tests that lean on
# them (store, database, WeChat protocol, hostile input, console access and sessions, export, slow clients).
# Usage: scripts/check_floors.sh [VENV_DIR]   (PostgreSQL and Redis as for the test suite; CI=true to require them)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${1:-$(mktemp -d)/floors}
PY=${PYTHON:-python3}
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# every `name>=X` of the project's dependencies (runtime and dev) pinned to `name==X`
"$VENV/bin/python" - "$ROOT/pyproject.toml" > "$VENV/floors.txt" <<'PYEOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
for dep in project["dependencies"] + project["optional-dependencies"]["dev"]:
    requirement, _, marker = dep.partition(";")
    name, extras, floor = re.match(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([^,\s]+)", requirement).groups()
    print(f"{name}=={floor}" + (f"; {marker.strip()}" if marker else ""))
PYEOF
echo "floors: $(tr '\n' ' ' < "$VENV/floors.txt")"
"$VENV/bin/pip" install -q -c "$VENV/floors.txt" -e "$ROOT[dev]"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not browser" \
  tests/bot/test_store.py tests/bot/test_db.py tests/bot/test_gateway_protocol.py tests/bot/test_callback_authenticity.py \
  tests/bot/test_slow_clients.py tests/bot/test_export.py tests/e2e/test_hostile_input.py \
  tests/admin/test_access.py tests/admin/test_sessions_and_logins.py
