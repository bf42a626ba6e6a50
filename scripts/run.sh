#!/usr/bin/env bash
# The main job, locally: sets the machine up, builds the emulator and the Worker, starts the
# emulator (the embedded default upstream) on 127.0.0.1:9797 and the Worker in workerd
# (`wrangler dev --local`) on 127.0.0.1:8787, and prints working curl commands.
# Ctrl-C stops both.
#   EMULATOR_PORT=9797 WORKER_PORT=8787 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

EMULATOR_PORT=${EMULATOR_PORT:-9797}
WORKER_PORT=${WORKER_PORT:-8787}
log() { printf '[run] %s\n' "$*" >&2; }

bash scripts/setup.sh
# Secrets for local runs live in .dev.vars (created from .dev.vars.example by setup).
# shellcheck disable=SC1091
set -a; . ./.dev.vars; set +a
API_KEY=${PROXY_API_KEYS%%,*}

log "building the emulator"
cargo build -p cxone-emulator --quiet
log "building the Worker (and the console's static assets)"
bash scripts/build-worker.sh

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

emulator_args=(--port "$EMULATOR_PORT" --client-id "${CXONE_CLIENT_ID:-demo-client}" --client-secret "$CXONE_CLIENT_SECRET")
[ -n "${CALLBACK_SIGNING_SECRET:-}" ] && emulator_args+=(--callback-signing-secret "$CALLBACK_SIGNING_SECRET")
setsid target/debug/cxone-emulator "${emulator_args[@]}" &
pids+=($!)

setsid npx wrangler dev --local --ip 127.0.0.1 --port "$WORKER_PORT" \
  --var "CXONE_BASE_URL:http://127.0.0.1:$EMULATOR_PORT" --var "PUBLIC_URL:http://127.0.0.1:$WORKER_PORT" &
pids+=($!)

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$WORKER_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$WORKER_PORT/healthz" >/dev/null || { log "the Worker did not come up"; exit 1; }

W="http://127.0.0.1:$WORKER_PORT"
cat <<MSG

  Emulator (upstream):  http://127.0.0.1:$EMULATOR_PORT   (control API: /_emulator/stats, /_emulator/config)
  Worker (proxy):       $W   (OpenAPI: $W/openapi.json)
  Admin console:        $W/admin/   sign in with the demo API key: $API_KEY

  A synchronous invocation through the Worker:
    curl -s -X POST $W/v1/actions/lookup-customer/invoke \\
      -H 'Authorization: Bearer $API_KEY' -H 'Content-Type: application/json' \\
      -d '{"inputs":{"customerId":"42","includeHistory":"yes"}}'

  An asynchronous one (the emulator calls the Worker back when it completes):
    curl -s -X POST '$W/v1/actions/export-report/invoke' \\
      -H 'Authorization: Bearer $API_KEY' -H 'Content-Type: application/json' \\
      -d '{"inputs":{"reportName":"daily","durationMs":2000}}'
    curl -s $W/v1/invocations/<invocationId>?wait=10 -H 'Authorization: Bearer $API_KEY'

  The last invocations, newest first:
    curl -s '$W/v1/invocations?limit=5' -H 'Authorization: Bearer $API_KEY'

  Ctrl-C stops both.
MSG
wait
