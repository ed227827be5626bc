#!/usr/bin/env bash
# Start the action server, the Rasa server and the FastAPI bridge on loopback, supervised (scripts/supervise.py:
# a service that dies is restarted, the others keep serving); Ctrl-C (INT) or TERM stops them all.
# Called by `make run` after setup and training. Environment (defaults): DATA_DIR=var, RASA_PORT=5005,
# ACTIONS_PORT=5055, BRIDGE_PORT=8000, APP_ENV=development. Logs go to $DATA_DIR/logs, the Rasa tracker store to
# $DATA_DIR/rasa/tracker.db.
#
# Secrets (common/service_auth.py): RASA_JWT_SECRET (Rasa's HTTP API), RASA_CHANNEL_SECRET (the customer channel)
# and ACTIONS_SECRET (the action server). Set in the environment, they are used as given. In development any
# missing one is generated for this run and all three are written to $DATA_DIR/secrets/services.env (mode 0600,
# directory 0700: `set -a; . var/secrets/services.env` lets a developer call the services by hand); outside
# development a missing one stops this script before anything starts.
#
# `scripts/run_services.sh env` prints the three as `export` lines (what `make rasa` and `make actions` eval): from
# the environment, else in development from the secrets file, created if missing (kept between runs of the two).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATA_DIR="${DATA_DIR:-var}"
export APP_ENV="${APP_ENV:-development}"
SECRET_NAMES=(RASA_JWT_SECRET RASA_CHANNEL_SECRET ACTIONS_SECRET)
SECRETS_FILE="$DATA_DIR/secrets/services.env"

new_secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

missing_secrets() {
  local name value
  for name in "${SECRET_NAMES[@]}"; do value="${!name:-}"; [ ${#value} -ge 32 ] || echo "$name"; done
}

# ensure_secrets fresh|reuse: every secret set (32+ characters) and exported, or exit 2 outside development
ensure_secrets() {
  local name missing
  missing=$(missing_secrets)
  [ -z "$missing" ] && return 0
  if [ "$APP_ENV" != development ]; then
    echo "refusing to start (APP_ENV=$APP_ENV): set" $missing "(random, at least 32 characters each)" >&2
    exit 2
  fi
  if [ "$1" = reuse ] && [ -f "$SECRETS_FILE" ]; then  # only what the environment lacks comes from the file
    for name in $missing; do
      export "$name=$(sed -n "s/^$name=//p" "$SECRETS_FILE" | tail -1)"
    done
    missing=$(missing_secrets)
  fi
  for name in $missing; do export "$name=$(new_secret)"; done
  (umask 077; mkdir -p "$DATA_DIR/secrets"; chmod 700 "$DATA_DIR/secrets"
   for name in "${SECRET_NAMES[@]}"; do printf '%s=%s\n' "$name" "${!name}"; done >"$SECRETS_FILE.tmp"
   mv -f "$SECRETS_FILE.tmp" "$SECRETS_FILE")
  [ -z "$missing" ] || echo "development secrets for this run ($(echo $missing)) -> $SECRETS_FILE" >&2
}

if [ "${1:-}" = env ]; then
  ensure_secrets reuse
  for name in "${SECRET_NAMES[@]}"; do printf 'export %s=%q\n' "$name" "${!name}"; done
  exit 0
fi
ensure_secrets fresh

# Everything the services create from here on (logs, databases, the KB index) is private to this user: files
# 0600, directories 0700 (the bridge also sets its own umask and creates its database 0600).
umask 077
export RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export BRIDGE_PORT="${BRIDGE_PORT:-8000}"
export RASA_URL="http://127.0.0.1:${RASA_PORT}"
export ACTION_ENDPOINT_URL="http://127.0.0.1:${ACTIONS_PORT}/webhook"
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
mkdir -p "$DATA_DIR/logs" "$DATA_DIR/rasa"
chmod 700 "$DATA_DIR/logs" "$DATA_DIR/rasa"  # made by an earlier run under another umask: private now too
find "$DATA_DIR/logs" "$DATA_DIR/rasa" -maxdepth 1 -type f -exec chmod 600 {} +
if [ ! -f "$DATA_DIR/kb/current" ]; then
  echo "building the knowledge-base index into $DATA_DIR/kb ..."
  .venvs/app/bin/python -m kb_index build >>"$DATA_DIR/logs/kb-build.log" 2>&1 \
    || { echo "KB index build failed; see $DATA_DIR/logs/kb-build.log"; exit 1; }
fi
# scripts/supervise.py starts the action server, Rasa and the bridge, each in a process group of its own that
# dies with the supervisor; it restarts a service that dies (whole group killed first, back-off, a limit, logged
# to $DATA_DIR/logs/supervisor.log), stops a stale process of an earlier run of this project still holding one
# of our ports (never a foreign one), and on Ctrl-C / TERM stops every group. Its header says why it is a small
# Python supervisor and not the shell's `wait -n`, which let one dead service stop them all and left orphans.
exec .venvs/app/bin/python scripts/supervise.py
