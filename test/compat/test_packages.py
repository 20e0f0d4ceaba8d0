"""Packages, CI job links and tokens seen from curl and the unmodified MLflow client (issue 5, semreg-api.md).

A CI job publishes an MLflow model directory with nothing but curl; the stock client then loads it by semver
and finds it by its CI job. With AUTH=on the client authenticates through MLFLOW_TRACKING_TOKEN (Bearer) and
MLFLOW_TRACKING_USERNAME/PASSWORD (Basic, the token as password).
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from support import client_error, mlflow3_only, rest_error, semver

pytestmark = mlflow3_only

CURL = shutil.which("curl")


def curl(*args: str) -> tuple[int, str]:
    """Runs the real curl binary, following redirects as `curl -L` (downloads from an S3 store with
    ARTIFACT_DOWNLOADS=redirect answer 302); returns (HTTP status, body)."""
    if CURL is None:
        pytest.fail("the curl binary is required by the package tests")
    done = subprocess.run(
        [CURL, "--silent", "--show-error", "--location", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory):
    """A real MLflow model directory (sklearn flavour) saved locally, plus its data and predictions."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=120, n_features=4, random_state=3)
    model = LogisticRegression(max_iter=300).fit(X, y)
    path = tmp_path_factory.mktemp("pkg") / "model"
    mlflow.sklearn.save_model(model, str(path))
    return path, X, model.predict(X)


def model_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload_dir(base_url: str, name: str, version: str, root: Path, *headers: str) -> None:
    header_args = [arg for h in headers for arg in ("-H", h)]
    for rel in model_files(root):
        status, body = curl("-T", str(root / rel), *header_args, f"{base_url}/api/packages/{name}/{version}/{rel}")
        assert status in (200, 201), f"{rel}: {status} {body}"


def ci_job_id() -> str:
    return str(random.randint(10**8, 10**9))


def test_curl_uploaded_model_loads_by_semver_and_is_found_by_ci_job(server, client, unique_name, iris_model, tmp_path):
    root, X, expected = iris_model
    job = ci_job_id()
    upload_dir(server.url, unique_name, "1.4.0", root, f"X-CI-Job-Id: {job}", "X-CI-Commit-Sha: 0123abcd")

    mv = client.get_model_version(unique_name, "1")
    assert (mv.status, semver(mv)) == ("READY", "1.4.0")
    for uri in (f"models:/{unique_name}/1.4.0", f"models:/{unique_name}/1", f"models:/{unique_name}/^1.4"):
        assert np.array_equal(mlflow.pyfunc.load_model(uri).predict(X), expected), uri

    found = client.search_model_versions(f"tag.`ci.job_id` = '{job}'")
    assert [(m.name, m.version) for m in found] == [(unique_name, "1")]
    assert found[0].tags["ci.job_id"] == job

    local = Path(mlflow.artifacts.download_artifacts(f"models:/{unique_name}/1.4.0", dst_path=str(tmp_path)))
    # the client adds registered_model_meta to every models:/ download (ModelsArtifactRepository)
    assert model_files(local) == sorted(model_files(root) + ["registered_model_meta"])

    status, body = curl(f"{server.url}/api/ci/jobs/{job}")
    assert status == 200, body
    assert {(v["name"], v["semver"]) for v in json.loads(body)["model_versions"]} == {(unique_name, "1.4.0")}


def test_multipart_upload_then_second_semver_is_version_2(server, client, unique_name, iris_model):
    root, X, expected = iris_model
    upload_dir(server.url, unique_name, "1.0.0", root)
    parts = [arg for rel in model_files(root) for arg in ("-F", f"file=@{root / rel};filename={rel}")]
    status, body = curl(*parts, f"{server.url}/api/packages/{unique_name}/1.1.0")
    assert status == 201, body
    assert json.loads(body)["model_version"]["version"] in ("2", 2)
    latest = client.get_latest_versions(unique_name, ["^1"])
    assert [(m.version, semver(m)) for m in latest] == [("2", "1.1.0")]
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{unique_name}/1.1.0").predict(X), expected)


def test_gitlab_generic_package_upload_line(server, client, unique_name, tmp_path):
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(b"onnx bytes")
    status, body = curl(
        "--header",
        "JOB-TOKEN: ignored-when-auth-is-off",
        "--upload-file",
        str(artifact),
        f"{server.url}/api/v4/projects/42/packages/generic/{unique_name}/0.9.1/model.onnx",
    )
    assert status == 201, body
    mv = client.get_latest_versions(unique_name, ["0.9.1"])[0]
    local = mlflow.artifacts.download_artifacts(f"models:/{unique_name}/0.9.1/model.onnx", dst_path=str(tmp_path / "d"))
    assert (mv.version, Path(local).read_bytes()) == ("1", b"onnx bytes")


def test_package_upload_with_invalid_semver_is_refused(server, unique_name, tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"x")
    status, body = curl("-T", str(f), f"{server.url}/api/packages/{unique_name}/1.0/x.bin")
    assert status == 400
    assert json.loads(body)["error_code"] == "INVALID_PARAMETER_VALUE"
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        MlflowClient(server.url).get_registered_model(unique_name)


# ---------------------------------------------------------------- AUTH=on


def mint_token(auth_server, scope: str, models: list[str] | None = None) -> str:
    payload = {"scope": scope, **({"models": models} if models else {})}
    status, body = curl(
        "-X",
        "POST",
        "-H",
        f"Authorization: Bearer {auth_server.admin_token}",
        "-H",
        "Content-Type: application/json",
        "--data",
        json.dumps(payload),
        f"{auth_server.url}/api/tokens",
    )
    assert status in (200, 201), body
    return json.loads(body)["token"]


@contextlib.contextmanager
def tracking_at(url: str):
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)


def test_auth_client_without_credentials_is_unauthenticated(auth_server, monkeypatch, unique_name):
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    with rest_error("UNAUTHENTICATED"):
        MlflowClient(auth_server.url).create_registered_model(unique_name)


def test_auth_client_with_bad_token_is_unauthenticated(auth_server, monkeypatch, unique_name):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "not-a-token")
    with rest_error("UNAUTHENTICATED"):
        MlflowClient(auth_server.url).get_registered_model(unique_name)


def test_auth_tracking_token_loads_a_curl_uploaded_model(auth_server, monkeypatch, unique_name, iris_model):
    root, X, expected = iris_model
    token = mint_token(auth_server, "write")
    upload_dir(auth_server.url, unique_name, "2.0.0", root, f"Authorization: Bearer {token}")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    client = MlflowClient(auth_server.url)
    assert semver(client.get_model_version(unique_name, "1")) == "2.0.0"
    with tracking_at(auth_server.url):
        assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{unique_name}/2.0.0").predict(X), expected)


def test_auth_username_password_carry_the_token(auth_server, monkeypatch, unique_name):
    token = mint_token(auth_server, "write")
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ci-bot")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", token)
    client = MlflowClient(auth_server.url)
    client.create_registered_model(unique_name)
    assert client.get_registered_model(unique_name).name == unique_name


def test_auth_basic_wins_over_bearer_when_both_are_set(auth_server, monkeypatch, unique_name):
    # mlflow-compat.md §1.8: with both configured the client sends Basic (despite MLflow's docstring)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "not-a-token")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ci-bot")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", mint_token(auth_server, "write"))
    client = MlflowClient(auth_server.url)
    client.create_registered_model(unique_name)
    assert client.get_registered_model(unique_name).name == unique_name


def test_auth_read_token_cannot_write(auth_server, monkeypatch, unique_name):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", mint_token(auth_server, "read"))
    client = MlflowClient(auth_server.url)
    with rest_error("PERMISSION_DENIED"):
        client.create_registered_model(unique_name)
    assert client.search_registered_models(f"name = '{unique_name}'") == []


def test_auth_token_restricted_to_model_pattern(auth_server, monkeypatch, name_factory):
    allowed, other = f"churn-{name_factory('a')}", name_factory("other")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", mint_token(auth_server, "write", ["churn-*"]))
    client = MlflowClient(auth_server.url)
    client.create_registered_model(allowed)
    with rest_error("PERMISSION_DENIED"):
        client.create_registered_model(other)


# ---------------------------------------------------------------- ownership (issue 17)


def test_copy_model_version_of_a_package_loads_and_deleting_the_copy_keeps_the_package(
    server, client, name_factory, iris_model
):
    root, X, expected = iris_model
    source, target = name_factory("pkg-src"), name_factory("pkg-copy")
    upload_dir(server.url, source, "1.0.0", root)
    client.create_registered_model(target)
    # The client registers the copy with source models:/<source>/1 (RestStore.copy_model_version).
    copy = client.copy_model_version(f"models:/{source}/1", target)
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{target}/{copy.version}").predict(X), expected)
    client.delete_model_version(target, copy.version)
    status, _ = curl(f"{server.url}/api/packages/{source}/1.0.0/MLmodel")
    assert status == 200
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{source}/1.0.0").predict(X), expected)


def test_auth_deleting_a_package_version_needs_admin_from_the_client_too(
    auth_server, monkeypatch, name_factory, iris_model
):
    root, _, _ = iris_model
    name = f"churn-{name_factory('del')}"
    writer = mint_token(auth_server, "write", ["churn-*"])
    upload_dir(auth_server.url, name, "1.0.0", root, f"Authorization: Bearer {writer}")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", writer)
    with rest_error("PERMISSION_DENIED"):
        MlflowClient(auth_server.url).delete_model_version(name, "1")
    with rest_error("PERMISSION_DENIED"):
        MlflowClient(auth_server.url).delete_registered_model(name)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", auth_server.admin_token)
    admin = MlflowClient(auth_server.url)
    assert semver(admin.get_model_version(name, "1")) == "1.0.0"
    admin.delete_model_version(name, "1")
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        admin.get_model_version(name, "1")


def test_auth_copying_another_teams_version_is_refused(auth_server, monkeypatch, name_factory, iris_model):
    root, _, _ = iris_model
    victim, mine = name_factory("fraud"), f"churn-{name_factory('copy')}"
    upload_dir(auth_server.url, victim, "1.0.0", root, f"Authorization: Bearer {auth_server.admin_token}")
    token = mint_token(auth_server, "write", ["churn-*"])
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    client = MlflowClient(auth_server.url)
    client.create_registered_model(mine)
    # The client reads the source version first, which the token may not.
    with client_error("PERMISSION_DENIED"):
        client.copy_model_version(f"models:/{victim}/1", mine)
    # The same registration sent directly is refused by the server itself.
    status, body = curl(
        "-X",
        "POST",
        "-H",
        f"Authorization: Bearer {token}",
        "-H",
        "Content-Type: application/json",
        "--data",
        json.dumps({"name": mine, "source": f"models:/{victim}/1"}),
        f"{auth_server.url}/api/2.0/mlflow/model-versions/create",
    )
    assert (status, json.loads(body)["error_code"]) == (403, "PERMISSION_DENIED")
    assert client.search_model_versions(f"name = '{mine}'") == []
