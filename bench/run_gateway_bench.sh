#!/usr/bin/env bash
# Measure the webhook on this machine: the floor (bare FastAPI 'success'), the demo (SQLite +
# embedded store) and production (PostgreSQL + Redis, 1 and 2 workers). Results: JSON lines, each
# with the server's CPU time per message (user+system of the server and its worker processes,
# warm-up excluded), the figure that stays stable while req/s moves with the neighbours' load.
# Needs the project installed (.venv) and PostgreSQL/Redis up, as .ci/run leaves them.
# ONLY=floor|sqlite|pg1|pg2|overload (space-separated) runs a subset (overload is not in the default set). WRK=SECONDS sends the N requests with wrk
# (SECONDS at most) instead of the asyncio client; the floor then sends 10 x N. No MsgId is sent twice.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
N=${N:-3000}; C=${C:-32}
ONLY=${ONLY:-"floor sqlite pg1 pg2"}
WORK=$(mktemp -d)
TOKEN=benchtoken
KEY=$($PY -c "print('b'*43)")
APPID=wxbench000000000
PORT=${PORT:-18800}
export NONGBOT_WECHAT_TOKEN=$TOKEN NONGBOT_WECHAT_AES_KEY=$KEY NONGBOT_WECHAT_APPID=$APPID NONGBOT_SECRET_KEY=bench

wait_up() { for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/wechat" && return 0; sleep 0.2; done; return 1; }
load() {
  local label=$1 pid=$2 n=${3:-$N}
  taskset -c 1 $PY bench/gateway_load.py --url "http://127.0.0.1:$PORT/wechat" --token $TOKEN --aes-key $KEY \
    --appid $APPID --requests $n --concurrency $C --server-pid "$pid" ${WRK:+--wrk $WRK} --label "$label"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
S=""; trap '[ -n "$S" ] && stop $S' EXIT  # a failed run leaves no server behind
want() { [[ " $ONLY " == *" $1 "* ]]; }

# 1. floor
if want floor; then
  taskset -c 0 $PY -m uvicorn bench.floor_app:app --port $PORT --log-level warning & S=$!
  wait_up; load "floor: bare FastAPI 'success' (1 worker)" $S $(( ${WRK:+10*}N )); stop $S
fi

# 2. demo: SQLite + embedded store, 1 worker
if want sqlite; then
  export NONGBOT_DATABASE_URL="sqlite:///$WORK/bench.db"; unset NONGBOT_REDIS_URL || true
  .venv/bin/nongbot db upgrade >/dev/null
  taskset -c 0 .venv/bin/nongbot serve --port $PORT & S=$!
  wait_up; load "demo: SQLite + embedded store (1 worker)" $S; stop $S
fi

# 3. production: PostgreSQL + Redis, 1 and 2 workers
if want pg1 || want pg2 || want overload; then
  DB=nongbot_bench_$$
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB" >/dev/null
  export NONGBOT_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB" NONGBOT_REDIS_URL="redis://127.0.0.1:6379/3"
  .venv/bin/nongbot db upgrade >/dev/null
  if want pg1; then
    taskset -c 0 .venv/bin/nongbot serve --port $PORT & S=$!
    wait_up; load "PostgreSQL + Redis (1 worker)" $S; stop $S
  fi
  if want pg2; then
    .venv/bin/nongbot serve --port $PORT --workers 2 & S=$!
    wait_up; sleep 2; load "PostgreSQL + Redis (2 workers, unpinned)" $S; stop $S
  fi
  if want overload; then
    # Open loop at RATE_X (default 2) times the capacity one pinned worker has just shown in a closed loop,
    # for OVERLOAD_SECONDS (default 10): answers over 5 s, the share shed, how late the shed answers went out.
    taskset -c 0 .venv/bin/nongbot serve --port $PORT & S=$!
    wait_up
    CAP=$(load "capacity: PostgreSQL + Redis (1 worker, closed loop)" $S | tee /dev/stderr \
          | $PY -c "import json,sys; print(json.loads(sys.stdin.read())['req_per_s'])")
    RATE=$($PY -c "print(round($CAP * ${RATE_X:-2}))")
    taskset -c 1 $PY bench/gateway_load.py --url "http://127.0.0.1:$PORT/wechat" --token $TOKEN --aes-key $KEY \
      --appid $APPID --rate $RATE --requests $(( RATE * ${OVERLOAD_SECONDS:-10} )) --server-pid $S \
      --database-url "$NONGBOT_DATABASE_URL" --label "open loop at ${RATE_X:-2}x capacity ($RATE/s, 1 worker)" || true
    stop $S
  fi
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $DB WITH (FORCE)" >/dev/null
  redis-cli -n 3 flushdb >/dev/null
fi
rm -rf "$WORK"
