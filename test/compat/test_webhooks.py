"""MLflow 3 webhooks through the unmodified MLflow client (mlflow-compat.md §3.9, docs/lifecycle.md).

The client manages webhooks; a receiver written the way MLflow's documentation shows (HMAC-SHA256 over
"<delivery id>.<timestamp>.<body>", base64, "v1," prefix, constant-time compare, 5-minute window) accepts
what semreg's durable worker delivers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import start_server, stop_server
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from support import mlflow3_only

pytestmark = mlflow3_only

SECRET = "compat-webhook-secret"


def verify(body: str, headers: dict[str, str], secret: str) -> bool:
    """A receiver-side check as MLflow documents it."""
    signature = headers.get("X-MLflow-Signature", "")
    delivery_id = headers.get("X-MLflow-Delivery-Id", "")
    timestamp = headers.get("X-MLflow-Timestamp", "")
    if not signature.startswith("v1,") or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > 300:
        return False
    digest = hmac.new(secret.encode("utf-8"), f"{delivery_id}.{timestamp}.{body}".encode("utf-8"), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode("utf-8"), signature[len("v1,") :])


class Receiver:
    def __init__(self) -> None:
        self.hits: list[tuple[dict[str, str], str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
                receiver.hits.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [hit for hit in self.hits if predicate(json.loads(hit[1]))]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no matching delivery within {timeout}s; got {[h[1] for h in self.hits]}")


@pytest.fixture(scope="module")
def webhook_server():
    """Its own server: webhooks to 127.0.0.1 need WEBHOOK_ALLOW_PRIVATE (the SSRF guard refuses them otherwise)."""
    srv = start_server({"WEBHOOK_ALLOW_PRIVATE": "true"})
    try:
        yield srv
    finally:
        stop_server(srv)


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()


def test_create_list_get_update_delete(webhook_server) -> None:
    client = MlflowClient(tracking_uri=webhook_server.url)
    name = f"hook-{uuid.uuid4().hex[:8]}"
    created = client.create_webhook(name=name, url="http://127.0.0.1:9/x", events=["model_version.created"], secret=SECRET)
    assert created.name == name
    assert created.status == WebhookStatus.ACTIVE
    assert created.events == [WebhookEvent("model_version", "created")]
    assert created.secret is None  # never returned

    assert client.get_webhook(created.webhook_id).url == "http://127.0.0.1:9/x"
    assert created.webhook_id in [w.webhook_id for w in client.list_webhooks(max_results=100)]

    updated = client.update_webhook(created.webhook_id, status="DISABLED", events=["model_version_alias.created"])
    assert updated.status == WebhookStatus.DISABLED
    assert updated.events == [WebhookEvent("model_version_alias", "created")]

    client.delete_webhook(created.webhook_id)
    with pytest.raises(Exception, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_webhook(created.webhook_id)


def test_deliveries_verify_with_mlflows_documented_check(webhook_server, receiver) -> None:
    client = MlflowClient(tracking_uri=webhook_server.url)
    client.create_webhook(
        name=f"hook-{uuid.uuid4().hex[:8]}",
        url=receiver.url,
        events=["registered_model.created", "model_version.created", "model_version_alias.created", "model_version_tag.set"],
        secret=SECRET,
    )
    model = f"wh-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(model)
    client.create_model_version(model, "mlflow-artifacts:/0/whatever/artifacts", tags={"semver": "2.1.0"})
    client.set_model_version_tag(model, "1", "validated", "true")
    client.set_registered_model_alias(model, "champion", "1")

    created = receiver.wait_for(lambda p: p["entity"] == "model_version" and p["data"]["name"] == model)
    assert created[0][1] and verify(created[0][1], created[0][0], SECRET)
    payload = json.loads(created[0][1])
    assert payload["action"] == "created"
    assert payload["data"]["version"] == "1"
    assert payload["data"]["source"] == "mlflow-artifacts:/0/whatever/artifacts"
    receiver.wait_for(lambda p: p["entity"] == "registered_model" and p["data"]["name"] == model)
    receiver.wait_for(lambda p: p["entity"] == "model_version_tag" and p["data"].get("key") == "validated")
    alias = receiver.wait_for(lambda p: p["entity"] == "model_version_alias" and p["data"]["name"] == model)
    assert json.loads(alias[0][1])["data"] == {"name": model, "alias": "champion", "version": "1"}
    assert all(verify(body, headers, SECRET) for headers, body in receiver.hits)
    assert not verify(created[0][1], created[0][0], "wrong secret")


def test_test_webhook(webhook_server, receiver) -> None:
    client = MlflowClient(tracking_uri=webhook_server.url)
    hook = client.create_webhook(name=f"hook-{uuid.uuid4().hex[:8]}", url=receiver.url, events=["model_version.created"], secret=SECRET)
    result = client.test_webhook(hook.webhook_id)
    assert result.success is True
    assert result.response_status == 200
    headers, body = receiver.hits[-1]
    assert verify(body, headers, SECRET)
