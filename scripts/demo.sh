#!/usr/bin/env bash
# The main job: start the server, track the scikit-learn example and a long live
# run, then keep serving until Ctrl-C. Data lives in RUNSTREAM_HOME (./.runstream).
set -euo pipefail

export RUNSTREAM_HOME="${RUNSTREAM_HOME:-$PWD/.runstream}"
HOST="${RUNSTREAM_HOST:-127.0.0.1}"
PORT="${RUNSTREAM_PORT:-5000}"
DASHBOARD_PORT="${RUNSTREAM_DASHBOARD_PORT:-8501}"
API="http://$HOST:$PORT"

runstream server --host "$HOST" --port "$PORT" --dashboard-port "$DASHBOARD_PORT" &
SERVER=$!
stop() { kill -INT "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }
trap stop EXIT
# Ctrl-C is how the demo is meant to end: a clean stop, not a failure for make.
trap 'trap - EXIT; stop; exit 0' INT TERM

for _ in $(seq 1 120); do
  if python -c "import httpx,sys; httpx.get('$API/api/v1/health').raise_for_status()" \
      2>/dev/null; then
    break
  fi
  sleep 0.5
done

python examples/sklearn_diabetes.py
echo "Open http://$HOST:$DASHBOARD_PORT to watch the live run; Ctrl-C stops everything."
python examples/live_multiworker.py "${@}"
wait $SERVER
