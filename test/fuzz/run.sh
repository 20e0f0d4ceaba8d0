#!/usr/bin/env bash
# npm run fuzz — schemathesis against a real semreg (issue 6 "Fuzzing"). Not part of `npm test`.
#   FUZZ_SECONDS   time budget (default 240)         FUZZ_CHECKS   schemathesis checks (default below)
#   FUZZ_PHASES    phases (default: examples,coverage,fuzzing,stateful)
#   FUZZ_REPORT_DIR  where the JUnit report goes (default: a temp dir, printed at the end)
#   FUZZ_EXCLUDE   path regex left out; by default mpu/* and presigned/*, which answer 501 NOT_IMPLEMENTED on
#                  purpose (MLflow's client falls back to a single PUT / proxied GET only on that answer, §2.3)
# Starts `tsx src/main.ts` on a fresh DATA_DIR (embedded PostgreSQL) and a free port, runs every operation of
# /api/openapi.json for the time budget, and fails on any 5xx, schema-violating response or wrong content type.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.venv-fuzz
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

DATA_DIR=$(mktemp -d /tmp/semreg-fuzz-XXXXXX)
chmod 755 "$DATA_DIR" # the embedded PostgreSQL runs as `postgres` when we are root
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REPORT_DIR=${FUZZ_REPORT_DIR:-$DATA_DIR/report}
LOG="$DATA_DIR/server.log"

DATA_DIR="$DATA_DIR" PORT="$PORT" HOST=127.0.0.1 LOG_LEVEL=warn WEBHOOK_WORKER=off \
  node_modules/.bin/tsx src/main.ts >"$LOG" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ -z "${FUZZ_KEEP:-}" ]; then rm -rf "$DATA_DIR/postgres" "$DATA_DIR/artifacts"; fi
}
trap cleanup EXIT

for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "fuzz: semreg exited during start:" >&2; cat "$LOG" >&2; exit 1; fi
  sleep 0.5
done

set +e
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  --checks "${FUZZ_CHECKS:-not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance}" \
  --phases "${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}" \
  --max-time "${FUZZ_SECONDS:-240}" \
  --request-timeout 30 \
  --workers 2 \
  --suppress-health-check all \
  --exclude-path-regex "${FUZZ_EXCLUDE:-mlflow-artifacts/(mpu|presigned)/}" \
  --continue-on-failure \
  --report junit --report-dir "$REPORT_DIR"
STATUS=$?
set -e
echo "fuzz: JUnit report in $REPORT_DIR; server log in $LOG (5xx are logged with their request id)"
grep -c '"unhandled error"' "$LOG" 2>/dev/null | sed 's/^/fuzz: server-side unhandled errors logged: /' || true
exit $STATUS
