"""Starts a real semreg server for the compat suite and points the unmodified MLflow client at it.

The server is `node dist/main.js` exactly as `npm start` runs it: DATABASE_URL is unset, so it starts its own
embedded PostgreSQL under a fresh DATA_DIR. One server serves the whole session (models get unique names);
`auth_server` starts a second one with AUTH=on only when a test asks for it. With COMPAT_STORE_ENV (run.sh's
S3 pass) both store their files in an S3 store instead of on local disk.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90
SHUTDOWN_TIMEOUT_S = 30

# Client settings, set before any MLflow call. A server 5xx would otherwise be retried for ~4 minutes
# (urllib3 Retry, mlflow-compat.md §2.4) and hide the error body; telemetry would try the network.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "120"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"


@dataclass
class Server:
    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_server(extra_env: dict[str, str] | None = None) -> Server:
    entry = REPO / "dist" / "main.js"
    if not entry.exists():
        pytest.exit(f"{entry} is missing: run 'npm install' (it builds dist/) first", returncode=1)
    data_dir = Path(tempfile.mkdtemp(prefix="semreg-compat-"))
    # embedded PostgreSQL drops root privileges; its data directory must be reachable by that user.
    data_dir.chmod(0o755)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PG"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "PORT": str(port),
            "HOST": "127.0.0.1",
            # COMPAT_SERVER_LOG_LEVEL=info logs every request (with COMPAT_KEEP_DATA=1 the log is kept)
            "LOG_LEVEL": os.environ.get("COMPAT_SERVER_LOG_LEVEL", "warn"),
            "AUTH": "off",
            # The S3 pass of run.sh: every server stores its files in SeaweedFS (a JSON object of env vars).
            **json.loads(os.environ.get("COMPAT_STORE_ENV", "{}")),
            **(extra_env or {}),
        }
    )
    log_path = data_dir.parent / f"{data_dir.name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["node", str(entry)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a hung server can be killed whole
        )
    return _wait_healthy(Server(f"http://127.0.0.1:{port}", data_dir, log_path, process), "semreg")


def _wait_healthy(server: Server, label: str) -> Server:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _health_ok(server.url):
        if server.process.poll() is not None:
            raise RuntimeError(f"{label} exited with {server.process.returncode} during startup:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"{label} /health not 200 after {STARTUP_TIMEOUT_S}s:\n{server.log_tail()}")
        time.sleep(0.25)
    return server


def stop_server(server: Server) -> None:
    """Ctrl-C, as a user would: the server stops its embedded PostgreSQL on SIGINT."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
            raise RuntimeError(f"semreg ignored SIGINT for {SHUTDOWN_TIMEOUT_S}s:\n{server.log_tail()}")
    if os.environ.get("COMPAT_KEEP_DATA") != "1":
        shutil.rmtree(server.data_dir, ignore_errors=True)
        server.log_path.unlink(missing_ok=True)


@pytest.fixture(scope="session", autouse=True)
def server():
    """The session's semreg server; MLFLOW_TRACKING_URI points at it for every test."""
    srv = start_server()
    os.environ["MLFLOW_TRACKING_URI"] = srv.url
    mlflow.set_tracking_uri(srv.url)
    try:
        yield srv
    finally:
        stop_server(srv)


@pytest.fixture(scope="session")
def tracking_uri(server: Server) -> str:
    return server.url


@dataclass
class AuthServer:
    url: str
    admin_token: str
    server: Server


@pytest.fixture(scope="session")
def auth_server():
    """A second server with AUTH=on; tests set MLFLOW_TRACKING_TOKEN / _USERNAME+_PASSWORD themselves."""
    token = secrets.token_hex(24)
    srv = start_server({"AUTH": "on", "ADMIN_TOKEN": token})
    try:
        yield AuthServer(srv.url, token, srv)
    finally:
        stop_server(srv)


def start_reference_server() -> Server:
    """The reference `mlflow server` of the same venv (SQLite backend, artifacts proxied to a local folder)."""
    data_dir = Path(tempfile.mkdtemp(prefix="mlflow-reference-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    log_path = data_dir.parent / f"{data_dir.name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("mlflow")),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backend-store-uri",
                f"sqlite:///{data_dir / 'mlflow.db'}",
                "--artifacts-destination",
                str(data_dir / "artifacts"),
                "--workers",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return _wait_healthy(Server(f"http://127.0.0.1:{port}", data_dir, log_path, process), "mlflow server")


@pytest.fixture(scope="session")
def reference_server():
    """A reference `mlflow server`, started once for the tests that compare semreg with it or import from it."""
    srv = start_reference_server()
    try:
        yield srv
    finally:
        stop_server(srv)


@pytest.fixture
def client(tracking_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60]


@pytest.fixture
def unique_name(request) -> str:
    """A registered-model name no other test (or earlier run on the same server) uses."""
    return f"{_safe(request.node.name)}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def name_factory(request):
    def make(suffix: str = "") -> str:
        return f"{_safe(request.node.name)}{('-' + _safe(suffix)) if suffix else ''}-{uuid.uuid4().hex[:8]}"

    return make
