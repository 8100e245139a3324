#!/usr/bin/env bash
# Same-moment pairs: the server CPU a message of two checkouts, measured at once so that both see the same
# neighbours. Both servers run together on core 0 (PostgreSQL + Redis, a database and a Redis db each), each
# driven at C=16 from core 1 by bench/gateway_load.py; PAIRS rounds, the JSON result lines printed as they come.
#   bench/pair_bench.sh BASE_CHECKOUT NEW_CHECKOUT     (each with its own .venv, `pip install -e .`)
# N (3000), C (16), PAIRS (3) and ONLY_STORAGE=pg|sqlite (pg) can be set in the environment.
set -euo pipefail
BASE=$(cd "$1" && pwd); NEW=$(cd "$2" && pwd)
N=${N:-3000}; C=${C:-16}; PAIRS=${PAIRS:-3}; STORAGE=${ONLY_STORAGE:-pg}
TOKEN=benchtoken; KEY=$(printf 'b%.0s' $(seq 1 43)); APPID=wxbench000000000
export NONGBOT_WECHAT_TOKEN=$TOKEN NONGBOT_WECHAT_AES_KEY=$KEY NONGBOT_WECHAT_APPID=$APPID NONGBOT_SECRET_KEY=bench
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start() {  # checkout, port, index -> the server's pid on stdout
  local dir=$1 port=$2 i=$3
  if [ "$STORAGE" = pg ]; then
    local db=nongbot_pair_${i}_$$
    PGOPTIONS="--client-min-messages=warning" psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
    redis-cli -n $((4 + i)) flushdb >/dev/null
    export NONGBOT_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$db" NONGBOT_REDIS_URL="redis://127.0.0.1:6379/$((4 + i))"
  else
    unset NONGBOT_REDIS_URL || true
    export NONGBOT_DATABASE_URL="sqlite:///$WORK/pair_$i.db"
  fi
  (cd "$dir" && .venv/bin/nongbot db upgrade >/dev/null)
  (cd "$dir" && exec taskset -c 0 .venv/bin/nongbot serve --host 127.0.0.1 --port "$port" >"$WORK/serve_$i.log" 2>&1) &
  echo $!
}
up() { for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

for pair in $(seq 1 "$PAIRS"); do
  b=$(start "$BASE" 18810 0); PIDS+=("$b")
  n=$(start "$NEW" 18811 1); PIDS+=("$n")
  up 18810; up 18811
  LOADS=()
  for side in base new; do
    if [ $side = base ]; then port=18810 pid=$b dir=$BASE; else port=18811 pid=$n dir=$NEW; fi
    (cd "$dir" && taskset -c 1 .venv/bin/python bench/gateway_load.py --url "http://127.0.0.1:$port/wechat" \
       --token $TOKEN --aes-key "$KEY" --appid $APPID --requests "$N" --concurrency "$C" --server-pid "$pid" \
       --label "pair $pair $side ($STORAGE)") > "$WORK/result_$side" &
    LOADS+=($!)
  done
  wait "${LOADS[@]}"
  cat "$WORK/result_base" "$WORK/result_new"
  kill "$b" "$n" 2>/dev/null; wait "$b" "$n" 2>/dev/null || true
  PIDS=()
done
