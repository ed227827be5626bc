#!/usr/bin/env bash
# Start the action server and the Rasa server on loopback; Ctrl-C (or TERM) stops them all.
# Called by `make run` after setup and training; logs go to $DATA_DIR/logs.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR="${DATA_DIR:-var}"
mkdir -p "$DATA_DIR/logs" "$DATA_DIR/rasa"
pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap stop INT TERM EXIT

.venvs/app/bin/python -m actions.server >>"$DATA_DIR/logs/actions.log" 2>&1 &
pids+=($!)
echo "action server  -> http://127.0.0.1:5055 (log: $DATA_DIR/logs/actions.log)"

.venvs/rasa/bin/rasa run --model "$DATA_DIR/models/bot.tar.gz" --enable-api -i 127.0.0.1 -p 5005 \
  --endpoints bot/endpoints.yml --credentials bot/credentials.yml \
  --log-file "$DATA_DIR/logs/rasa.log" >>"$DATA_DIR/logs/rasa.out" 2>&1 &
pids+=($!)
echo "rasa server    -> http://127.0.0.1:5005 (REST: POST /webhooks/rest/webhook; log: $DATA_DIR/logs/rasa.log)"

for _ in $(seq 1 120); do
  if curl -sf http://127.0.0.1:5005/status >/dev/null 2>&1; then echo "ready. Ctrl-C stops everything."; break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a service exited during start-up; see $DATA_DIR/logs/"; exit 1; }
  done
  sleep 1
done
wait -n "${pids[@]}" || true
echo "a service stopped; see $DATA_DIR/logs/"
