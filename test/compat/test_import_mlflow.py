"""`semreg import-mlflow` (issue 16): a real `mlflow server` populated with the real client is imported into the
session's semreg server, interrupted with SIGKILL half-way and resumed; then the same client calls against both
servers must answer the same, field by field, and a registered sklearn model must predict the same from both.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from support import mlflow3_only

pytestmark = mlflow3_only

REPO = Path(__file__).resolve().parents[2]
UNICODE = "ünïcødé ✓ 模型 🚀"
RUNS = 50
STEPS = 40
BIG_FILE_BYTES = 100 * 2**20
# The reference server is the session's: other modules may log to it, so the import takes only this module's data.
FILTERS = ("--experiments", "import-*", "--models", "import-churn-*")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cli_env(server) -> dict[str, str]:
    """The server's own settings (DATA_DIR; the store of the S3 pass), as `semreg import-mlflow` runs beside it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PG"))}
    env.pop("DATABASE_URL", None)
    env.update({"DATA_DIR": str(server.data_dir), **json.loads(os.environ.get("COMPAT_STORE_ENV", "{}"))})
    return env


def semreg_cli(server, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", str(REPO / "bin" / "semreg.js"), *args],
        cwd=REPO,
        env=cli_env(server),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def source(reference_server, tmp_path_factory):
    """The reference server, populated once: experiments, 50 runs, a registered sklearn model, a 100 MiB file."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    ref = MlflowClient(tracking_uri=reference_server.url, registry_uri=reference_server.url)
    tag = uuid.uuid4().hex[:8]
    names = {"a": f"import-a-{tag}", "b": f"import-b-{tag} {UNICODE}", "gone": f"import-deleted-{tag}"}
    ids = {
        key: ref.create_experiment(name, tags={"team": UNICODE, "purpose": key})
        for key, name in names.items()
    }
    base = int(time.time() * 1000) - 86_400_000
    run_ids = []
    for i in range(RUNS):
        experiment = ids["a"] if i % 2 == 0 else ids["b"]
        run = ref.create_run(
            experiment, start_time=base + i * 1000, run_name=f"run-{i}-{UNICODE}", tags={"idx": str(i)}
        )
        metrics = [
            Metric("loss", 1.0 / (step + 1 + i), base + i * 1000 + step, step) for step in range(STEPS)
        ] + [Metric("acc", step / STEPS, base + i * 1000 + step, step) for step in range(0, STEPS, 4)]
        if i == 3:
            metrics.append(Metric("weird", float("nan"), base, 0))
        ref.log_batch(
            run.info.run_id,
            metrics=metrics,
            params=[Param("lr", str(0.01 * i)), Param("note", UNICODE)],
            tags=[RunTag("owner", f"ö-{i}")],
        )
        ref.set_terminated(run.info.run_id, "FAILED" if i == 7 else "FINISHED", end_time=base + i * 1000 + 999)
        run_ids.append(run.info.run_id)
    ref.delete_run(run_ids[5])
    ref.log_inputs(
        run_ids[2],
        datasets=[
            DatasetInput(
                Dataset(name="churn-train", digest="abc123", source_type="local", source='{"uri": "/data/train.csv"}'),
                tags=[InputTag("mlflow.data.context", "training")],
            )
        ],
    )

    gone_run = ref.create_run(ids["gone"], run_name="in-deleted-experiment")
    ref.log_param(gone_run.info.run_id, "p", "1")
    ref.set_terminated(gone_run.info.run_id)
    ref.delete_experiment(ids["gone"])

    big = tmp_path_factory.mktemp("big") / "weights.bin"
    with open(big, "wb") as f:
        for _ in range(BIG_FILE_BYTES // 2**20):
            f.write(os.urandom(2**20))
    ref.log_artifact(run_ids[0], str(big), artifact_path="blobs")
    notes = tmp_path_factory.mktemp("notes") / f"notes {UNICODE}.txt"
    notes.write_text(UNICODE)
    ref.log_artifact(run_ids[1], str(notes))

    model_name = f"import-churn-{tag}"
    X, y = make_classification(n_samples=120, n_features=5, random_state=3)
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(reference_server.url)
    try:
        mlflow.set_experiment(experiment_id=ids["a"])
        for c in (0.1, 1.0, 10.0):
            with mlflow.start_run():
                mlflow.log_param("C", c)
                mlflow.log_metric("auc", 0.5 + c / 100)  # log_model gives it to the logged model too
                mlflow.sklearn.log_model(
                    LogisticRegression(C=c, max_iter=500).fit(X, y),
                    name="model",
                    registered_model_name=model_name,
                    input_example=X[:2],
                )
    finally:
        mlflow.set_tracking_uri(previous_uri)
    ref.update_registered_model(model_name, description=f"churn model {UNICODE}")
    ref.set_registered_model_tag(model_name, "domain", UNICODE)
    ref.set_model_version_tag(model_name, "3", "semver", "2.0.0")
    ref.set_model_version_tag(model_name, "2", "reviewed", UNICODE)
    ref.update_model_version(model_name, "2", description="the good one")
    ref.set_registered_model_alias(model_name, "champion", "2")
    ref.transition_model_version_stage(model_name, "2", "Production")
    ref.transition_model_version_stage(model_name, "1", "Archived")
    return {
        "url": reference_server.url,
        "client": ref,
        "experiments": names,
        "run_ids": run_ids,
        "model": model_name,
        "X": X,
        "big_sha256": sha256_of(big),
    }


@pytest.fixture(scope="module")
def imported(source, server):
    """Started, killed with SIGKILL once some runs are in, then run again to the end."""
    target = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    process = subprocess.Popen(
        [
            "node",
            str(REPO / "bin" / "semreg.js"),
            "import-mlflow",
            "--from",
            source["url"],
            *FILTERS,
            "--concurrency",
            "1",
        ],
        cwd=REPO,
        env=cli_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    killed_with_runs = None
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        experiment = target.get_experiment_by_name(source["experiments"]["a"])
        if experiment is not None:
            runs = target.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)
            if len(runs) >= 5:
                process.send_signal(signal.SIGKILL)
                killed_with_runs = len(runs)
                break
        time.sleep(0.05)
    process.wait(60)
    resumed = semreg_cli(server, "import-mlflow", "--from", source["url"], *FILTERS)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    return {"target": target, "killed_with_runs": killed_with_runs, "summary": resumed.stdout}


def all_runs(client: MlflowClient, experiment_id: str):
    return {r.info.run_id: r for r in client.search_runs([experiment_id], run_view_type=ViewType.ALL, max_results=1000)}


def test_interrupted_import_resumes_without_duplicates(source, imported):
    assert imported["killed_with_runs"] is not None and imported["killed_with_runs"] < RUNS
    target = imported["target"]
    ref = source["client"]
    for key in ("a", "b", "gone"):
        name = source["experiments"][key]
        matches = target.search_experiments(view_type=ViewType.ALL, filter_string=f"name = '{name}'")
        assert len(matches) == 1, name
        ref_exp = ref.get_experiment_by_name(name)
        assert len(all_runs(target, matches[0].experiment_id)) == len(all_runs(ref, ref_exp.experiment_id))
    versions = target.search_model_versions(f"name = '{source['model']}'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]


def test_experiments_runs_and_metric_histories_match(source, imported):
    target, ref = imported["target"], source["client"]
    for key, name in source["experiments"].items():
        mine, theirs = target.get_experiment_by_name(name), ref.get_experiment_by_name(name)
        assert (mine.name, mine.lifecycle_stage, mine.tags) == (theirs.name, theirs.lifecycle_stage, theirs.tags)
        assert mine.creation_time == theirs.creation_time
        assert mine.artifact_location == f"mlflow-artifacts:/{mine.experiment_id}"
        mine_runs, their_runs = all_runs(target, mine.experiment_id), all_runs(ref, theirs.experiment_id)
        assert set(mine_runs) == set(their_runs)
        for run_id, theirs_run in their_runs.items():
            mine_run = mine_runs[run_id]
            for field in ("run_name", "status", "start_time", "end_time", "user_id", "lifecycle_stage"):
                assert getattr(mine_run.info, field) == getattr(theirs_run.info, field), (run_id, field)
            assert mine_run.data.params == theirs_run.data.params
            assert mine_run.data.tags == theirs_run.data.tags
            assert mine_run.data.metrics.keys() == theirs_run.data.metrics.keys()
            datasets = lambda r: [  # noqa: E731
                (d.dataset.name, d.dataset.digest, d.dataset.source, [(t.key, t.value) for t in d.tags])
                for d in r.inputs.dataset_inputs
            ]
            assert datasets(mine_run) == datasets(theirs_run)
            for metric in theirs_run.data.metrics:
                history = lambda c: sorted(  # noqa: E731
                    (m.step, m.timestamp, repr(m.value)) for m in c.get_metric_history(run_id, metric)
                )
                assert history(target) == history(ref), (run_id, metric)


def test_logged_models_keep_their_metrics(source, imported):
    target, ref = imported["target"], source["client"]
    experiment_id = ref.get_experiment_by_name(source["experiments"]["a"]).experiment_id
    models = ref.search_logged_models(experiment_ids=[experiment_id])
    assert len(models) == 3
    for model in models:
        points = lambda m: sorted((p.key, p.step, p.timestamp, p.value, p.run_id) for p in m.metrics)  # noqa: E731
        assert points(model) and points(target.get_logged_model(model.model_id)) == points(model)


def test_artifacts_match_with_the_same_sha256(source, imported, tmp_path):
    target, ref = imported["target"], source["client"]

    def tree(client, run_id, path=None):
        out = {}
        for entry in client.list_artifacts(run_id, path):
            if entry.is_dir:
                out.update(tree(client, run_id, entry.path))
            else:
                out[entry.path] = entry.file_size
        return out

    for run_id in source["run_ids"][:3]:
        assert tree(target, run_id) == tree(ref, run_id)
    local = Path(target.download_artifacts(source["run_ids"][0], "blobs/weights.bin", str(tmp_path)))
    assert sha256_of(local) == source["big_sha256"]


def test_registered_model_versions_aliases_and_stages_match(source, imported):
    target, ref = imported["target"], source["client"]
    name = source["model"]
    mine, theirs = target.get_registered_model(name), ref.get_registered_model(name)
    assert (mine.description, mine.tags, mine.aliases) == (theirs.description, theirs.tags, theirs.aliases)
    assert mine.creation_timestamp == theirs.creation_timestamp
    for version in ("1", "2", "3"):
        a, b = target.get_model_version(name, version), ref.get_model_version(name, version)
        for field in ("version", "creation_timestamp", "description", "current_stage", "run_id", "status"):
            assert getattr(a, field) == getattr(b, field), (version, field)
        assert {k: v for k, v in a.tags.items() if k != "semver"} == {
            k: v for k, v in b.tags.items() if k != "semver"
        }
    assert [target.get_model_version(name, v).tags["semver"] for v in ("1", "2", "3")] == ["1.0.0", "1.0.1", "2.0.0"]
    assert target.get_model_version_by_alias(name, "champion").version == "2"


def test_loaded_model_predicts_the_same_from_both(source, imported, server):
    name, X = source["model"], source["X"]
    predictions = []
    for url in (source["url"], server.url):
        mlflow.set_tracking_uri(url)
        predictions.append(mlflow.pyfunc.load_model(f"models:/{name}/2").predict(X))
    mlflow.set_tracking_uri(server.url)
    assert np.array_equal(predictions[0], predictions[1])


def test_verify_finds_no_difference_and_a_second_import_changes_nothing(source, imported, server):
    again = semreg_cli(server, "import-mlflow", "--from", source["url"], *FILTERS, "--verify")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "verify: no differences" in again.stdout
    assert f"runs: 0 imported, {RUNS + 4} already imported, 0 failed" in again.stdout


def test_dry_run_lists_nothing_left_to_import(source, imported, server):
    dry = semreg_cli(server, "import-mlflow", "--from", source["url"], *FILTERS, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would import: 0 experiments, 0 runs" in dry.stdout
