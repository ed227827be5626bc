#!/usr/bin/env bash
# Start the action server, the Rasa server and the FastAPI bridge on loopback; Ctrl-C (INT) or TERM stops them all.
# Called by `make run` after setup and training. Environment (defaults): DATA_DIR=var, RASA_PORT=5005,
# ACTIONS_PORT=5055, BRIDGE_PORT=8000. Logs go to $DATA_DIR/logs, the Rasa tracker store to $DATA_DIR/rasa/tracker.db.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATA_DIR="${DATA_DIR:-var}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export BRIDGE_PORT="${BRIDGE_PORT:-8000}"
export RASA_URL="http://127.0.0.1:${RASA_PORT}"
export ACTION_ENDPOINT_URL="http://127.0.0.1:${ACTIONS_PORT}/webhook"
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
mkdir -p "$DATA_DIR/logs" "$DATA_DIR/rasa"
if [ ! -f "$DATA_DIR/kb/current" ]; then
  echo "building the knowledge-base index into $DATA_DIR/kb ..."
  .venvs/app/bin/python -m kb_index build >>"$DATA_DIR/logs/kb-build.log" 2>&1 \
    || { echo "KB index build failed; see $DATA_DIR/logs/kb-build.log"; exit 1; }
fi
pids=()
stop() {
  local code=$1
  trap - INT TERM EXIT
  echo "stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
  exit "$code"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

# Each server runs in its own session: Ctrl-C reaches only this script, whose trap stops both in order (a
# server that got the terminal's SIGINT itself would look like a crash), and Sanic's shutdown, which may
# SIGKILL its own process group, cannot hit this script.
setsid .venvs/app/bin/python -m actions.server >>"$DATA_DIR/logs/actions.log" 2>&1 &
pids+=($!)
echo "action server  -> http://127.0.0.1:${ACTIONS_PORT} (log: $DATA_DIR/logs/actions.log)"

setsid .venvs/rasa/bin/rasa run --model "$DATA_DIR/models/bot.tar.gz" --enable-api -i 127.0.0.1 -p "$RASA_PORT" \
  --endpoints bot/endpoints.yml --credentials bot/credentials.yml \
  --log-file "$DATA_DIR/logs/rasa.log" >>"$DATA_DIR/logs/rasa.out" 2>&1 &
pids+=($!)
echo "rasa server    -> http://127.0.0.1:${RASA_PORT} (REST: POST /webhooks/rest/webhook; log: $DATA_DIR/logs/rasa.log)"

setsid .venvs/app/bin/python -m api serve --port "$BRIDGE_PORT" >>"$DATA_DIR/logs/bridge.log" 2>&1 &
pids+=($!)
echo "bridge (API)   -> http://127.0.0.1:${BRIDGE_PORT} (chat widget /, agent console /console; log: $DATA_DIR/logs/bridge.log)"

ready=""
for _ in $(seq 1 180); do
  if curl -sf "http://127.0.0.1:${RASA_PORT}/status" >/dev/null 2>&1 \
     && curl -sf "http://127.0.0.1:${BRIDGE_PORT}/healthz" >/dev/null 2>&1; then ready=1; break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a service exited during start-up; see $DATA_DIR/logs/"; exit 1; }
  done
  sleep 0.5
done
[ -n "$ready" ] || { echo "rasa did not become ready in 90 s; see $DATA_DIR/logs/"; exit 1; }
grep -h "demo accounts" "$DATA_DIR/logs/bridge.log" | tail -1 || true
echo "ready. Ctrl-C stops everything."
wait -n "${pids[@]}" || true
echo "a service stopped unexpectedly; see $DATA_DIR/logs/"
exit 1
