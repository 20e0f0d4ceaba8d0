"""The unmodified client rides out semreg's JSON budget (MAX_JSON_INFLIGHT_BYTES, docs/security.md).

With the budget at 1 byte, a request that has sent part of its body holds those bytes (more than the
budget), so every other JSON request is answered 503 TEMPORARILY_UNAVAILABLE with Retry-After: 1.
MLflow's client retries 503 (its transient codes) and honours Retry-After, so its call succeeds once the
slow request is done: the budget slows a burst of large bodies down instead of failing it. Runs with the
3.x and the 2.x client.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlparse

import pytest
from conftest import start_server, stop_server
from mlflow import MlflowClient

HOLD_SECONDS = 1.5


@pytest.fixture(scope="module")
def budget_server():
    srv = start_server({"MAX_JSON_INFLIGHT_BYTES": "1"})
    try:
        yield srv
    finally:
        stop_server(srv)


def hold_budget(url: str, name: str, ready: threading.Event, answers: list[bytes]) -> threading.Thread:
    """Sends a create-experiment request's headers and part of its body, the rest after HOLD_SECONDS."""
    body = json.dumps({"name": name}).encode()
    target = urlparse(url)

    def run() -> None:
        with socket.create_connection((target.hostname, target.port)) as sock:
            head = (
                "POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\n"
                f"Host: {target.netloc}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            sock.sendall(head.encode() + body[:5])
            time.sleep(0.3)  # the server has reserved this request's share
            ready.set()
            time.sleep(HOLD_SECONDS - 0.3)
            sock.sendall(body[5:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            answers.append(answer)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_client_call_is_retried_until_the_budget_frees(budget_server, name_factory, monkeypatch):
    # conftest turns the client's retries off to fail fast; this test needs them as users have them.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7")
    client = MlflowClient(tracking_uri=budget_server.url)
    slow_name, name = name_factory("slow"), name_factory("retried")
    ready = threading.Event()
    answers: list[bytes] = []
    holder = hold_budget(budget_server.url, slow_name, ready, answers)
    assert ready.wait(10)

    started = time.monotonic()
    experiment_id = client.create_experiment(name)
    waited = time.monotonic() - started
    holder.join(10)

    assert len(answers) == 1 and answers[0].startswith(b"HTTP/1.1 200"), answers
    assert client.get_experiment(experiment_id).name == name
    assert client.get_experiment_by_name(slow_name) is not None
    # The first attempt was refused (the server logs each 503) and a retry got through after the hold.
    assert "holding too many request bodies" in budget_server.log_tail(200)
    assert waited >= HOLD_SECONDS - 0.3 - 0.1
