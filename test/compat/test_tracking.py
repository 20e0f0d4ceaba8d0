"""Tracking, artifact proxy and MLflow 3 logged models through the unmodified client (issue 4).

The first test is the workflow at the top of issue 4 with a real scikit-learn model: log → register →
load by number, semver, alias and range, with identical predictions.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
import uuid
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.entities import LoggedModelStatus, Metric, Param, RunTag
from support import mlflow3_only, rest_error, semver

pytestmark = mlflow3_only


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def experiment_id(name_factory) -> str:
    """A fresh experiment, made active through set_experiment as users do."""
    experiment = mlflow.set_experiment(name_factory("exp"))
    return experiment.experiment_id


@pytest.fixture(scope="module")
def churn_data():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=200, n_features=6, random_state=7)
    return X, y


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- the issue 4 workflow


def test_log_register_and_load_sklearn_model(experiment_id, churn_data, name_factory, tmp_path):
    from sklearn.linear_model import LogisticRegression

    X, y = churn_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    expected = model.predict(X)
    churn = name_factory("churn")
    report = tmp_path / "report.html"
    report.write_text("<html><body>report</body></html>")

    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metric("rmse", 0.7, step=3)
        mlflow.log_metrics({"auc": 0.91, "f1": 0.8})
        mlflow.set_tag("team", "x")
        mlflow.log_artifact(str(report))
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=churn, input_example=X[:3])

    client = mlflow.MlflowClient()
    finished = client.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.info.experiment_id == experiment_id
    assert finished.data.params == {"alpha": "0.5"}
    assert finished.data.metrics == {"rmse": 0.7, "auc": 0.91, "f1": 0.8}
    assert finished.data.tags["team"] == "x"
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["report.html"]

    assert info.registered_model_version == "1"  # a string in MLflow 3.17's ModelInfo
    mv = client.get_model_version(churn, "1")
    assert (mv.status, semver(mv)) == ("READY", "1.0.0")
    assert mv.run_id == run.info.run_id
    client.set_registered_model_alias(churn, "prod", "1")

    for uri in (f"models:/{churn}/1", f"models:/{churn}/1.0.0", f"models:/{churn}@prod", f"models:/{churn}/^1"):
        loaded = mlflow.pyfunc.load_model(uri)
        assert np.array_equal(loaded.predict(X), expected), uri
    assert np.array_equal(mlflow.sklearn.load_model(f"models:/{churn}/latest").predict_proba(X), model.predict_proba(X))

    local = Path(mlflow.artifacts.download_artifacts(f"models:/{churn}/^1", dst_path=str(tmp_path / "dl")))
    names = {p.name for p in local.iterdir()}
    # MLflow 3.17 serialises sklearn models with skops by default (model.skops), older ones as model.pkl
    assert "MLmodel" in names and names & {"model.skops", "model.pkl"}
    # the logged model carries the MLflow 3 id and links back to the run and the registered version
    logged = client.get_logged_model(info.model_id)
    assert logged.status == LoggedModelStatus.READY
    assert logged.source_run_id == run.info.run_id
    assert mlflow.pyfunc.load_model(f"models:/{info.model_id}").predict(X).tolist() == expected.tolist()


def test_second_log_model_gets_version_2_and_next_patch(experiment_id, churn_data, name_factory):
    # LogisticRegression: skops (3.17's default format) refuses to load tree models without trusted types
    from sklearn.linear_model import LogisticRegression

    X, y = churn_data
    name = name_factory("logreg")
    for c in (0.5, 2.0):
        with mlflow.start_run():
            mlflow.sklearn.log_model(LogisticRegression(C=c, max_iter=300).fit(X, y), name="m", registered_model_name=name)
    client = mlflow.MlflowClient()
    found = client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])
    assert [(mv.version, semver(mv)) for mv in found] == [("1", "1.0.0"), ("2", "1.0.1")]
    assert mlflow.sklearn.load_model(f"models:/{name}/1.0.1").get_params()["C"] == 2.0


def test_register_model_from_runs_uri(experiment_id, churn_data, name_factory):
    from sklearn.linear_model import LogisticRegression

    X, y = churn_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="clf")
    name = name_factory("from-run")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/clf", name, tags={"semver": "3.1.0"})
    assert (mv.version, semver(mv), mv.status) == ("1", "3.1.0", "READY")
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{name}/3.1.0").predict(X), model.predict(X))


# ---------------------------------------------------------------- experiments and runs


def test_default_experiment_exists():
    default = mlflow.MlflowClient().get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage == "active"
    assert default.artifact_location == "mlflow-artifacts:/0"


def test_set_experiment_creates_then_reuses(name_factory):
    name = name_factory("exp")
    first = mlflow.set_experiment(name)
    again = mlflow.set_experiment(name)
    assert first.experiment_id == again.experiment_id
    assert first.artifact_location == f"mlflow-artifacts:/{first.experiment_id}"
    assert mlflow.MlflowClient().get_experiment_by_name(name).experiment_id == first.experiment_id


def test_missing_experiment_by_name_is_none(name_factory):
    assert mlflow.MlflowClient().get_experiment_by_name(name_factory("absent")) is None


def test_create_duplicate_experiment(name_factory):
    client = mlflow.MlflowClient()
    name = name_factory("dup")
    client.create_experiment(name)
    with rest_error("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(name)


def test_log_batch_with_nan_and_infinity_round_trips(experiment_id):
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id)
    ts = now_ms()
    client.log_batch(
        run.info.run_id,
        metrics=[
            Metric("nan", float("nan"), ts, 0),
            Metric("inf", float("inf"), ts, 0),
            Metric("ninf", float("-inf"), ts, 0),
            Metric("plain", 1.5, ts, 0),
        ],
        params=[Param("p", "v" * 6000)],
        tags=[RunTag("t", "x")],
    )
    metrics = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf
    assert metrics["ninf"] == -math.inf
    assert metrics["plain"] == 1.5
    history = client.get_metric_history(run.info.run_id, "nan")
    assert len(history) == 1 and math.isnan(history[0].value)
    assert client.get_run(run.info.run_id).data.params["p"] == "v" * 6000


def test_metric_history_keeps_every_step_in_order(experiment_id):
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id)
    ts = now_ms()
    for step in range(50):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), timestamp=ts + step, step=step)
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [(s, 1.0 / (s + 1), ts + s) for s in range(50)]
    # the run shows the latest value (highest step)
    assert client.get_run(run.info.run_id).data.metrics["loss"] == 1.0 / 50


def test_int64_steps_and_timestamps_past_2_53_stay_exact(experiment_id, reference_server):
    """The client sends these as JSON numbers; the reference keeps them exact, and so must semreg."""
    step, timestamp, end_time = 1152921504606846979, 9007199254740993, 2**63 - 1
    seen = {}
    for label, uri in (("semreg", mlflow.get_tracking_uri()), ("reference", reference_server.url)):
        client = mlflow.MlflowClient(tracking_uri=uri)
        experiment = experiment_id if label == "semreg" else client.create_experiment(f"int64-{uuid.uuid4().hex}")
        run_id = client.create_run(experiment).info.run_id
        client.log_batch(run_id, metrics=[Metric("m", 1.5, timestamp, step)])
        client.set_terminated(run_id, end_time=end_time)
        history = client.get_metric_history(run_id, "m")
        seen[label] = ([(m.step, m.timestamp) for m in history], client.get_run(run_id).info.end_time)
    assert seen["semreg"] == seen["reference"] == ([(step, timestamp)], end_time)


def test_large_metric_batch_is_split_by_the_client_and_stored_whole(experiment_id):
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id)
    ts = now_ms()
    client.log_batch(run.info.run_id, metrics=[Metric("m", float(i), ts, i) for i in range(2500)])
    history = client.get_metric_history(run.info.run_id, "m")
    assert [m.step for m in history] == list(range(2500))


def test_changing_a_param_is_invalid_parameter_value(experiment_id):
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id)
    client.log_param(run.info.run_id, "alpha", "0.5")
    client.log_param(run.info.run_id, "alpha", "0.5")  # same value again is fine
    with pytest.raises(mlflow.exceptions.MlflowException) as info:
        client.log_param(run.info.run_id, "alpha", "0.6")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_missing_run_is_resource_does_not_exist():
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        mlflow.MlflowClient().get_run(uuid.uuid4().hex)


def test_search_runs_filters_and_order(experiment_id):
    client = mlflow.MlflowClient()
    ids = {}
    for name, rmse, alpha, team in [("r-a", 0.9, "0.1", "x"), ("r-b", 0.5, "0.5", "y"), ("r-c", 0.7, "0.5", "x")]:
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_metric("rmse", rmse)
            mlflow.log_param("alpha", alpha)
            mlflow.set_tag("team", team)
        ids[name] = run.info.run_id
    with mlflow.start_run(run_name="r-failed") as failed:
        pass
    client.set_terminated(failed.info.run_id, "FAILED")

    def names(filter_string: str, order_by=None) -> list[str]:
        runs = client.search_runs([experiment_id], filter_string, order_by=order_by or ["attributes.run_name ASC"])
        return [r.info.run_name for r in runs]

    assert names("metrics.rmse < 0.8") == ["r-b", "r-c"]
    assert names("params.alpha = '0.5'") == ["r-b", "r-c"]
    assert names("tags.team = 'x' AND metrics.rmse >= 0.7") == ["r-a", "r-c"]
    assert names("attributes.status = 'FAILED'") == ["r-failed"]
    assert names("attributes.run_name LIKE 'r-%' AND attributes.status = 'FINISHED'") == ["r-a", "r-b", "r-c"]
    assert names(f"attributes.run_id IN ('{ids['r-a']}', '{ids['r-c']}')") == ["r-a", "r-c"]
    assert names("metrics.rmse > 0", order_by=["metrics.rmse DESC"]) == ["r-a", "r-c", "r-b"]
    df = mlflow.search_runs([experiment_id], "params.alpha = '0.1'")
    assert df["run_id"].tolist() == [ids["r-a"]]
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.search_runs([experiment_id], "metrics.rmse <> 1")


# ---------------------------------------------------------------- artifacts


def test_nested_folder_upload_list_and_download(experiment_id, tmp_path):
    src = tmp_path / "src"
    files = {
        "a.txt": b"top",
        "config.json": b'{"k": 1}',
        "d1/b.csv": b"x,y\n1,2\n",
        "d1/d2/c.bin": os.urandom(4096),
        "d1/d2/d3/deep name.txt": b"space in name",
    }
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id)
    client.log_artifacts(run.info.run_id, str(src), "bundle")

    top = client.list_artifacts(run.info.run_id, "bundle")
    assert sorted((a.path, a.is_dir) for a in top) == [
        ("bundle/a.txt", False),
        ("bundle/config.json", False),
        ("bundle/d1", True),
    ]
    sizes = {a.path: a.file_size for a in top}
    assert sizes["bundle/a.txt"] == 3

    out = Path(
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="bundle", dst_path=str(tmp_path / "out"))
    )
    got = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == files
    one = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="bundle/d1/d2/c.bin", dst_path=str(tmp_path / "one"))
    assert Path(one).read_bytes() == files["d1/d2/c.bin"]
    assert client.list_artifacts(run.info.run_id, "no/such/dir") == []


def test_200mb_artifact_round_trip_keeps_sha256(experiment_id, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        for _ in range(200):
            f.write(os.urandom(1 << 20))
    try:
        client = mlflow.MlflowClient()
        run = client.create_run(experiment_id)
        client.log_artifact(run.info.run_id, str(big), "blobs")
        [entry] = client.list_artifacts(run.info.run_id, "blobs")
        assert entry.file_size == 200 * (1 << 20)
        out = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path="blobs/big.bin", dst_path=str(tmp_path / "out")
        )
        assert sha256_of(Path(out)) == sha256_of(big)
    finally:
        # pytest keeps the last runs' tmp dirs: do not leave 400 MB behind each time
        shutil.rmtree(tmp_path, ignore_errors=True)


# ---------------------------------------------------------------- logged models


def test_search_logged_models(experiment_id, churn_data):
    from sklearn.linear_model import LogisticRegression

    X, y = churn_data
    with mlflow.start_run() as run:
        first = mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(X, y), name="alpha-model")
        second = mlflow.sklearn.log_model(LogisticRegression(max_iter=300).fit(X, y), name="beta-model")
    client = mlflow.MlflowClient()
    everything = client.search_logged_models([experiment_id])
    assert {m.model_id for m in everything} == {first.model_id, second.model_id}
    by_name = client.search_logged_models([experiment_id], filter_string="name = 'beta-model'")
    assert [m.model_id for m in by_name] == [second.model_id]
    by_run = client.search_logged_models([experiment_id], filter_string=f"source_run_id = '{run.info.run_id}'")
    assert len(by_run) == 2
    ordered = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "creation_timestamp", "ascending": True}]
    )
    assert [m.model_id for m in ordered] == [first.model_id, second.model_id]
    page = client.search_logged_models([experiment_id], max_results=1)
    assert len(page) == 1 and page.token
    df = mlflow.search_logged_models(experiment_ids=[experiment_id], filter_string="name LIKE 'alpha%'")
    assert df["model_id"].tolist() == [first.model_id]


def test_client_keeps_multipart_off_for_semreg(experiment_id):
    # MLflow 3.17 (newer than mlflow-compat.md's baseline) asks GET /api/3.0/mlflow/server-info whether the
    # artifact server offers multipart uploads/downloads; when server-info says so it uses presigned URLs and
    # raises instead of falling back. semreg has no multipart, so the client must end up with both off.
    from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

    repo = MlflowArtifactsRepository(f"mlflow-artifacts:/{experiment_id}")
    assert repo._is_multipart_upload_enabled() is False
    assert repo._is_multipart_download_enabled() is False
