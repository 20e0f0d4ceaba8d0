#!/usr/bin/env bash
# Runs the MLflow client compatibility suite: the unmodified MLflow Python client from PyPI, installed into
# cached virtualenvs, drives a real semreg server (embedded PostgreSQL) started by conftest.py.
#
#   bash test/compat/run.sh                  # MLflow 3.x: every module; then MLflow 2.x: registry modules
#   bash test/compat/run.sh -k alias         # extra arguments → MLflow 3.x pass only, passed to pytest
#   COMPAT_MLFLOW2=off bash test/compat/run.sh   # skip the 2.x pass
#   COMPAT_S3=off bash test/compat/run.sh        # skip the pass on the S3 store (SeaweedFS)
#   bash test/compat/run.sh --prepare            # only build .venv-compat (MLflow client + reference server)
#
# Exits non-zero when any test fails or when a pass collects no test at all (pytest exit code 5).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "compat: need Python >= 3.10 as '$python' (set PYTHON=...)" >&2
  exit 1
fi
if [ ! -d node_modules ]; then
  echo "compat: node_modules is missing: run 'npm install' first" >&2
  exit 1
fi
# The server runs as `npm start` runs it, from dist/; rebuild it when a source changed since the last build.
node scripts/build.mjs --if-stale

# ensure_venv DIR REQUIREMENTS: (re)creates DIR only when the requirements file or the Python version changed,
# so repeated runs cost nothing and a changed pin always takes effect.
ensure_venv() {
  local dir="$1" requirements="$2" stamp want
  stamp="$dir/.requirements.sha256"
  want="$( (cat "$requirements"; "$python" --version) | sha256sum | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "compat: installing $(basename "$requirements") into $dir" >&2
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
}

run_pass() {
  local venv="$1"
  shift
  "$venv/bin/python" -m pytest -c "$here/pytest.ini" --rootdir "$here" "$@"
}

ensure_venv .venv-compat "$here/requirements.txt"
# --prepare: only the venv (npm test's pretest: the jest suite serves MLflow's web UI from its mlflow wheel).
[ "${1:-}" = "--prepare" ] && exit 0
# What the client and the servers write to temporary files (model downloads, data directories, the S3
# store's files) goes below one directory, removed when the suite ends; each run used to leave dozens of
# them in /tmp. PostgreSQL, running as its own user when we are root, must traverse it.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/semreg-compat-XXXXXX")"
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
status=0
if [ "$#" -gt 0 ]; then
  run_pass .venv-compat "$@" || status=$?
  exit "$status"
fi

run_pass .venv-compat -m "not mlflow2" "$here" || status=$?

if [ "${COMPAT_MLFLOW2:-on}" != "off" ]; then
  ensure_venv .venv-compat-2 "$here/requirements-mlflow2.txt"
  # The 2.x client shares the registry wire protocol; its log_model path differs (no logged models).
  run_pass .venv-compat-2 -m "not mlflow3" "$here/test_registry.py" "$here/test_model_uri.py" \
    "$here/test_log_model_mlflow2.py" "$here/test_json_budget.py" || status=$?
fi
if [ "${COMPAT_S3:-on}" != "off" ]; then
  # Artifacts, log_model -> register -> load_model and packages once more with every byte in a real S3 store
  # (SeaweedFS, built once per machine by scripts/build-seaweedfs.sh), downloads redirected to presigned
  # URLs of the store, which the client follows. The launcher stops SeaweedFS when the pipe that feeds its
  # stdin closes, whatever way this script ends.
  bash scripts/build-seaweedfs.sh >/dev/null
  store_env="$(mktemp)"
  exec 3> >(exec node_modules/.bin/tsx test/helpers/seaweedfs-server.ts compat semreg ARTIFACT_DOWNLOADS=redirect >"$store_env")
  for _ in $(seq 1 600); do [ -s "$store_env" ] && break; sleep 0.1; done
  if [ ! -s "$store_env" ]; then
    echo "compat: SeaweedFS did not start" >&2
    status=1
  else
    COMPAT_STORE_ENV="$(head -n1 "$store_env")" run_pass .venv-compat -m "not mlflow2" \
      "$here/test_artifacts.py" "$here/test_packages.py" \
      "$here/test_tracking.py::test_log_register_and_load_sklearn_model" \
      "$here/test_tracking.py::test_register_model_from_runs_uri" \
      "$here/test_tracking.py::test_200mb_artifact_round_trip_keeps_sha256" || status=$?
  fi
  exec 3>&-
  rm -f "$store_env"
fi
exit "$status"
