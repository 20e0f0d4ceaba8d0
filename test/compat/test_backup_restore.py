"""Issue 16, backup and restore, through the MLflow client's eyes.

A registry filled with the real client (a run with metric history, params, tags and artifacts, a logged
sklearn model registered in two versions with semvers, an alias and a stage) is backed up with
`semreg backup` while its server runs, restored with `semreg restore` into a fresh DATA_DIR, and a second
server started on that. Every read the client makes — searches, versions, runs, metric histories, artifact
listings, downloaded bytes, and the loaded model's predictions — must be the same on both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pytest
from google.protobuf.json_format import MessageToDict
from mlflow import MlflowClient

from conftest import REPO, start_server, stop_server

pytestmark = pytest.mark.mlflow3


@pytest.fixture(scope="module")
def churn_data():
    from sklearn.datasets import make_classification

    return make_classification(n_samples=200, n_features=6, random_state=7)


def semreg(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PG"))}
    env.pop("DATABASE_URL", None)
    env.update({"DATA_DIR": str(data_dir), **json.loads(os.environ.get("COMPAT_STORE_ENV", "{}"))})
    return subprocess.run(
        ["node", str(REPO / "bin" / "semreg.js"), *args], env=env, capture_output=True, text=True, timeout=300
    )


def as_dict(entity) -> dict:
    return MessageToDict(entity.to_proto())


def tree_sha256(root: Path) -> dict[str, str]:
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def client_view(url: str, name: str, run_id: str, scratch: Path) -> dict:
    """What the MLflow client reads from the registry at `url`, every downloaded file as its sha256."""
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    view: dict = {
        "models": [as_dict(m) for m in client.search_registered_models(filter_string=f"name = '{name}'")],
        "versions": [as_dict(client.get_model_version(name, v)) for v in ("1", "2")],
        "alias": as_dict(client.get_model_version_by_alias(name, "champion")),
        "search_versions": sorted(
            (as_dict(v) for v in client.search_model_versions(f"name = '{name}'")),
            key=lambda v: v["version"],
        ),
        "run": as_dict(client.get_run(run_id)),
        "history": {key: [as_dict(m) for m in client.get_metric_history(run_id, key)] for key in ("loss", "auc")},
        "artifacts": [as_dict(a) for a in client.list_artifacts(run_id)]
        + [as_dict(a) for a in client.list_artifacts(run_id, "reports")],
    }
    mlflow.set_tracking_uri(url)
    try:
        run_files = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(scratch / "run")))
        model_files = Path(
            mlflow.artifacts.download_artifacts(f"models:/{name}/1.0.0", dst_path=str(scratch / "model"))
        )
        view["run_files"] = tree_sha256(run_files)
        view["model_files"] = tree_sha256(model_files)
    finally:
        mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    return view


def test_restored_registry_looks_the_same_to_the_mlflow_client(churn_data, name_factory, tmp_path):
    from sklearn.linear_model import LogisticRegression

    X, y = churn_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    expected = model.predict(X)
    name = name_factory("backup")
    source = start_server()
    restored = None
    target = Path(tempfile.mkdtemp(prefix="semreg-restored-"))
    target.chmod(0o755)
    try:
        mlflow.set_tracking_uri(source.url)
        client = MlflowClient(tracking_uri=source.url, registry_uri=source.url)
        report = tmp_path / "report.html"
        report.write_text("<html>ünïcode report</html>")
        with mlflow.start_run(run_name="train") as run:
            mlflow.log_params({"alpha": "0.5", "solver": "lbfgs"})
            for step in range(30):
                mlflow.log_metric("loss", 1 / (step + 1), step=step)
            mlflow.log_metric("auc", 0.91)
            mlflow.set_tag("team", "growth")
            mlflow.log_artifact(str(report), artifact_path="reports")
            mlflow.log_text("notes", "notes.txt")
            mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=X[:3])
        mlflow.sklearn.log_model(model, name="model2", registered_model_name=name)  # version 2 = 1.0.1
        client.update_model_version(name, "1", description="first")
        client.set_registered_model_alias(name, "champion", "1")
        client.transition_model_version_stage(name, "2", "Staging")
        client.set_model_version_tag(name, "1", "reviewed", "yes")
        mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])

        backup_dir = tmp_path / "backup"
        made = semreg("backup", str(backup_dir), data_dir=source.data_dir)  # online: the server keeps running
        assert made.returncode == 0, made.stderr
        before = client_view(source.url, name, run.info.run_id, tmp_path / "before")

        done = semreg("restore", str(backup_dir), data_dir=target)
        assert done.returncode == 0, done.stderr
        restored = start_server({"DATA_DIR": str(target)})
        after = client_view(restored.url, name, run.info.run_id, tmp_path / "after")

        assert after == before
        assert [v["version"] for v in after["versions"]] == ["1", "2"]
        semvers = [t["value"] for v in after["versions"] for t in v["tags"] if t["key"] == "semver"]
        assert semvers == ["1.0.0", "1.0.1"]
        assert {m["step"] for m in after["history"]["loss"]} == {str(step) for step in range(30)}
        for uri in [f"models:/{name}@champion"] + [f"models:/{name}/{ref}" for ref in ("1.0.0", "^1", "Staging")]:
            mlflow.set_tracking_uri(restored.url)
            try:
                assert np.array_equal(mlflow.pyfunc.load_model(uri).predict(X), expected), uri
            finally:
                mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    finally:
        if restored is not None:
            stop_server(restored)
        stop_server(source)
        shutil.rmtree(target, ignore_errors=True)
