"""Answers semreg gives exactly as the reference `mlflow server` gives them, checked side by side.

Each test sends the same requests to semreg and to a reference server of the client's own version and
compares what comes back: request-validation refusals in the reference's words (MLflow's UI and the client
show them to users), the web UI's bulk metric routes and upload route, and the `mlflow.modelVersions` tag the
reference writes on a logged model when a version is registered from it.
"""

from __future__ import annotations

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException
from support import mlflow3_only


@pytest.fixture(scope="module")
def servers(server, reference_server) -> dict[str, str]:
    return {"semreg": server.url, "reference": reference_server.url}


def _clients(servers: dict[str, str]) -> dict[str, MlflowClient]:
    return {k: MlflowClient(tracking_uri=url, registry_uri=url) for k, url in servers.items()}


def _run(client: MlflowClient, experiment: str) -> str:
    existing = client.get_experiment_by_name(experiment)
    exp_id = existing.experiment_id if existing else client.create_experiment(experiment)
    return client.create_run(exp_id).info.run_id


def _refusal(resp: requests.Response) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body.get("error_code"), body.get("message")


@pytest.mark.parametrize(
    "path, body",
    [
        pytest.param("runs/log-metric", {"run_id": 31, "key": "m", "value": 1, "timestamp": 1}, id="int-for-string"),
        pytest.param("runs/log-metric", {"run_id": "RUN", "key": 31, "value": 1, "timestamp": 1}, id="int-key"),
        pytest.param("runs/log-parameter", {"run_id": "RUN", "key": "p", "value": 41}, id="int-param-value"),
        pytest.param("runs/set-tag", {"run_id": "RUN", "key": "t", "value": 41}, id="int-tag-value"),
        pytest.param("runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1, "timestamp": 1, "step": "foo"}, id="string-step"),
        pytest.param("runs/log-metric", {"run_id": "RUN", "value": 1, "timestamp": 1}, id="missing-key"),
        pytest.param("runs/log-metric", {"run_id": None, "key": "m", "value": 1, "timestamp": 1}, id="null-run-id"),
        pytest.param("runs/log-batch", {"run_id": "RUN", "metrics": "foo"}, id="string-metrics"),
        pytest.param("runs/log-batch", {"run_id": "RUN", "tags": "foo"}, id="string-tags"),
        pytest.param("runs/log-batch", {"run_id": "RUN", "metrics": [{"key": "mae", "value": 2.5}]}, id="nested-missing"),
        pytest.param("experiments/create", {}, id="missing-name"),
        pytest.param("experiments/create", {"name": 123}, id="int-name"),
        pytest.param("experiments/create", {"name": "e", "artifact_location": 9.0}, id="float-location"),
        pytest.param("experiments/create", {"name": "e", "tags": "5"}, id="string-tags-of-experiment"),
    ],
)
def test_request_validation_refusals_read_as_the_reference_words_them(servers, path, body):
    answers = {}
    for label, url in servers.items():
        run_id = _run(MlflowClient(tracking_uri=url), "fidelity-validation")
        sent = {k: (run_id if v == "RUN" else v) for k, v in body.items()}
        answers[label] = _refusal(requests.post(f"{url}/api/2.0/mlflow/{path}", json=sent, timeout=30))
    assert answers["semreg"][0] == 400
    assert answers["semreg"] == answers["reference"]


def test_search_runs_max_results_refusal_reaches_the_client_in_the_reference_words(servers):
    messages = {}
    for label, client in _clients(servers).items():
        exp_id = client.create_experiment(f"fidelity-search-{label}-{id(client)}")
        with pytest.raises(MlflowException) as raised:
            client.search_runs([exp_id], max_results=123456789)
        messages[label] = raised.value.message
    for message in messages.values():
        assert "Invalid value 123456789 for parameter 'max_results' supplied" in message


def test_run_artifact_listing_refuses_traversal_with_the_reference_message(servers):
    for url in servers.values():
        run_id = _run(MlflowClient(tracking_uri=url), "fidelity-path")
        resp = requests.get(
            f"{url}/api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": "../path"}, timeout=30
        )
        assert resp.status_code == 400
        assert resp.json()["message"] == "Invalid path"


def _log_history(client: MlflowClient, run_id: str, points: list[tuple[int, int, float]]) -> None:
    client.log_batch(run_id, metrics=[Metric("m", value, timestamp, step) for timestamp, step, value in points])


def _strip_run_ids(metrics: list[dict], order: list[str]) -> list[tuple]:
    return [(order.index(m["run_id"]), m["key"], float(m["value"]), int(m["timestamp"]), int(m["step"])) for m in metrics]


def test_get_history_bulk_answers_as_the_reference(servers):
    points = [(2, 3, 12.0), (1, 3, 12.0), (1, 3, 11.0), (1, 2, 10.0), (7, -2, -100.0)]
    answers = {}
    for label, client in _clients(servers).items():
        run_ids = sorted(_run(client, "fidelity-bulk") for _ in range(2))
        for run_id in run_ids:
            _log_history(client, run_id, points)
        url = f"{servers[label]}/ajax-api/2.0/mlflow/metrics/get-history-bulk"
        full = requests.get(url, params={"run_id": run_ids[::-1], "metric_key": "m"}, timeout=30)
        capped = requests.get(url, params={"run_id": run_ids, "metric_key": "m", "max_results": 3}, timeout=30)
        no_key = requests.get(url, params={"run_id": run_ids}, timeout=30)
        answers[label] = (
            _strip_run_ids(full.json()["metrics"], run_ids),
            _strip_run_ids(capped.json()["metrics"], run_ids),
            _refusal(no_key),
        )
    assert answers["semreg"] == answers["reference"]


@pytest.mark.parametrize("query", [{"max_results": 5}, {"max_results": 1}, {"max_results": 5, "start_step": 2, "end_step": 13}])
def test_get_history_bulk_interval_samples_as_the_reference(servers, query):
    answers = {}
    for label, client in _clients(servers).items():
        run_ids = [_run(client, "fidelity-interval") for _ in range(2)]
        _log_history(client, run_ids[0], [(1, step, 10.0) for step in range(10)])
        _log_history(client, run_ids[1], [(1, step, float(step)) for step in range(0, 40, 2)])
        resp = requests.get(
            f"{servers[label]}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
            params={"run_ids": run_ids, "metric_key": "m", **query},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        answers[label] = _strip_run_ids(resp.json()["metrics"], run_ids)
    assert answers["semreg"] == answers["reference"]


@pytest.mark.parametrize(
    "query",
    [
        {"metric_key": "key"},
        {"run_ids": [f"id_{i}" for i in range(1000)], "metric_key": "key"},
        {"run_ids": ["123"], "metric_key": "key", "max_results": 0},
        {"run_ids": ["123"], "metric_key": ""},
        {"run_ids": ["123"], "metric_key": "key", "start_step": 1, "end_step": 0, "max_results": 5},
        {"run_ids": ["123"], "metric_key": "key", "start_step": 1, "max_results": 5},
    ],
    ids=["no-run-ids", "1000-run-ids", "max-results-0", "empty-key", "start-after-end", "start-only"],
)
def test_get_history_bulk_interval_refusals_read_as_the_reference(servers, query):
    answers = {
        label: _refusal(
            requests.get(f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval", params=query, timeout=30)
        )
        for label, url in servers.items()
    }
    assert answers["semreg"][0] == 400
    assert answers["semreg"] == answers["reference"]


def test_upload_artifact_is_served_back_and_refused_as_by_the_reference(servers):
    for url in servers.values():
        run_id = _run(MlflowClient(tracking_uri=url), "fidelity-upload")
        endpoint = f"{url}/ajax-api/2.0/mlflow/upload-artifact"
        stored = requests.post(endpoint, params={"run_uuid": run_id, "path": "dir/test.txt"}, data="hello world", timeout=30)
        assert stored.status_code == 200, stored.text
        got = requests.get(f"{url}/get-artifact", params={"run_uuid": run_id, "path": "dir/test.txt"}, timeout=30)
        assert (got.status_code, got.text) == (200, "hello world")
    refusals = {}
    for label, url in servers.items():
        run_id = _run(MlflowClient(tracking_uri=url), "fidelity-upload")
        endpoint = f"{url}/ajax-api/2.0/mlflow/upload-artifact"
        refusals[label] = [
            _refusal(requests.post(endpoint, params=params, timeout=30))
            for params in ({}, {"run_uuid": run_id}, {"run_uuid": run_id, "path": ""}, {"run_uuid": run_id, "path": "test.txt"})
        ] + [_refusal(requests.post(endpoint, params={"run_uuid": run_id, "path": "../test.txt"}, data="x", timeout=30))]
    assert refusals["semreg"] == refusals["reference"]


@mlflow3_only
def test_registering_with_model_id_lists_the_version_on_the_logged_model(servers, name_factory):
    tags = {}
    name = name_factory("reg")
    for label, client in _clients(servers).items():
        client.create_registered_model(name)
        exp_id = client.create_experiment(name_factory(label))
        model = client.create_logged_model(experiment_id=exp_id)
        for _ in range(2):
            client.create_model_version(name=name, source=model.artifact_location, model_id=model.model_id)
        tags[label] = client.get_logged_model(model.model_id).tags.get("mlflow.modelVersions")
    assert tags["semreg"] == f'[{{"name": "{name}", "version": 1}}, {{"name": "{name}", "version": 2}}]'
    assert tags["semreg"] == tags["reference"]


@mlflow3_only
def test_log_model_leaves_one_history_point_per_step_and_gives_the_model_its_metrics(servers):
    """MLflow 3's log_model relogs the run's latest metrics tagged with the new model's id: the reference keeps
    one point per (key, step, timestamp, value) in the run's history and lists the metrics on the logged model."""
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.2, 0.9]])
    y = np.array([0, 1, 1, 0])
    seen = {}
    previous_uri = mlflow.get_tracking_uri()
    try:
        for label, url in servers.items():
            mlflow.set_tracking_uri(url)
            mlflow.set_experiment("fidelity-log-model-metrics")
            with mlflow.start_run() as run:
                for step, (accuracy, loss) in enumerate([(0.6, 0.9), (0.75, 0.5)]):
                    mlflow.log_metrics({"accuracy": accuracy, "loss": loss}, step=step)
                info = mlflow.sklearn.log_model(LogisticRegression().fit(x, y), name="model")
            client = MlflowClient(tracking_uri=url)
            history = {
                key: [(m.step, m.value, m.model_id) for m in client.get_metric_history(run.info.run_id, key)]
                for key in ("accuracy", "loss")
            }
            model = client.get_logged_model(info.model_id)
            on_model = sorted((m.key, m.step, m.value, m.run_id == run.info.run_id) for m in model.metrics or [])
            seen[label] = (history, on_model)
    finally:
        mlflow.set_tracking_uri(previous_uri)
    assert seen["semreg"][0]["accuracy"] == [(0, 0.6, None), (1, 0.75, None)]
    assert seen["semreg"] == seen["reference"]
