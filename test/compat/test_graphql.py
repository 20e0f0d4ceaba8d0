"""MLflow's GraphQL endpoint, compared with the reference server field by field (issue 14 §1).

The unmodified client logs the same experiment, run, metrics, dataset, artifacts and registered version into
semreg and into the reference `mlflow server` 3.17.2; then the documents MLflow's web UI sends (captured from
its bundle into test/integration/graphql/ui-queries/) and the other query fields run against both. The
answers must be equal once the values each server mints itself (ids, names made unique, server-side
timestamps) are replaced by placeholders. Known, deliberate differences are listed in DIVERGENCES and in
docs/tracking.md "GraphQL".
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from support import mlflow3_only

pytestmark = mlflow3_only

UI_QUERIES = Path(__file__).resolve().parents[1] / "integration" / "graphql" / "ui-queries"
START_MS = 1_700_000_000_000


def ui_query(name: str) -> str:
    return (UI_QUERIES / f"{name}.graphql").read_text()


def post_graphql(url: str, query: str, variables: dict | None = None) -> tuple[int, dict]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@contextlib.contextmanager
def tracking_uri(url: str):
    """mlflow-artifacts: URIs resolve against the global tracking URI, so uploads need it set to `url`."""
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)


@dataclass
class Logged:
    url: str
    experiment_id: str
    experiment_name: str
    run_id: str
    model_name: str

    def placeholders(self) -> dict[str, str]:
        return {
            self.run_id: "<run_id>",
            self.experiment_name: "<experiment_name>",
            self.model_name: "<model_name>",
        }


def log_everything(url: str, suffix: str, tmp_path: Path) -> Logged:
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    experiment_name = f"graphql-compat-{suffix}"
    experiment_id = client.create_experiment(experiment_name, tags={"team": "ml"})
    run = client.create_run(experiment_id, run_name="graphql-run", tags={"t1": "v1"}, start_time=START_MS)
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 1.0 / (step + 1), START_MS + step, step) for step in range(5)]
        + [Metric("nan_metric", float("nan"), START_MS, 0)],
        params=[Param("alpha", "0.5")],
        tags=[RunTag("stage", "dev")],
    )
    dataset = Dataset(name="train", digest="abc123", source_type="local", source='{"uri": "x.csv"}')
    client.log_inputs(run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])])
    (tmp_path / "dir").mkdir(exist_ok=True)
    (tmp_path / "dir" / "hello.txt").write_text("hello")
    (tmp_path / "notes.txt").write_text("notes!")
    with tracking_uri(url):
        client.log_artifact(run_id, str(tmp_path / "dir" / "hello.txt"), "dir")
        client.log_artifact(run_id, str(tmp_path / "notes.txt"))
    client.set_terminated(run_id, end_time=START_MS + 9999)
    model_name = f"graphql-model-{suffix}"
    client.create_registered_model(model_name)
    client.create_model_version(model_name, f"runs:/{run_id}/model", run_id=run_id)
    return Logged(url, experiment_id, experiment_name, run_id, model_name)


# Fields each server fills in itself (creation times, the run's and version's ids), compared by shape only.
SERVER_TIMES = {"creationTime", "lastUpdateTime", "creationTimestamp", "lastUpdatedTimestamp"}


def normalise(value, logged: Logged, key: str | None = None):
    """Ids and names → placeholders, server-side times → "<time>", key/value lists sorted by key."""
    if isinstance(value, dict):
        return {k: normalise(v, logged, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v, logged) for v in value]
        if items and all(isinstance(v, dict) and "key" in v for v in items):
            items.sort(key=lambda v: (v["key"], str(v.get("value"))))
        return items
    if isinstance(value, str):
        if key in SERVER_TIMES and value.isdigit():
            return "<time>"
        if key in ("experimentId",) and value == logged.experiment_id:
            return "<experiment_id>"
        for raw, placeholder in logged.placeholders().items():
            value = value.replace(raw, placeholder)
        return value.replace(f"mlflow-artifacts:/{logged.experiment_id}/", "mlflow-artifacts:/<experiment_id>/")
    return value


@pytest.fixture(scope="module")
def both(server, reference_server, tmp_path_factory) -> tuple[Logged, Logged]:
    suffix = tmp_path_factory.mktemp("suffix").name.replace("_", "-")
    ours = log_everything(server.url, suffix, tmp_path_factory.mktemp("semreg"))
    theirs = log_everything(reference_server.url, suffix, tmp_path_factory.mktemp("reference"))
    return ours, theirs


def answers(both, query: str, variables_of) -> tuple[dict, dict]:
    result = []
    for logged in both:
        status, body = post_graphql(logged.url, query, variables_of(logged))
        assert status == 200, body
        result.append(normalise(body, logged))
    return result[0], result[1]


def test_get_experiment_query_of_the_ui(both):
    ours, theirs = answers(both, ui_query("get-experiment"), lambda l: {"input": {"experimentId": l.experiment_id}})
    assert ours["errors"] is None
    assert ours == theirs


def test_get_run_query_of_the_ui(both):
    ours, theirs = answers(both, ui_query("get-run"), lambda l: {"data": {"runId": l.run_id}})
    assert ours["errors"] is None
    run = ours["data"]["mlflowGetRun"]["run"]
    assert len(run["data"]["metrics"]) == 2 and len(run["inputs"]["datasetInputs"]) == 1
    assert [version["name"] for version in run["modelVersions"]] == ["<model_name>"]
    assert ours == theirs


def test_search_runs_query_of_the_ui(both):
    ours, theirs = answers(
        both,
        ui_query("search-runs"),
        lambda l: {"data": {"filter": f"attributes.run_id = '{l.run_id}'", "experimentIds": [l.experiment_id]}},
    )
    assert len(ours["data"]["mlflowSearchRuns"]["runs"]) == 1
    assert ours == theirs


def test_metric_history_bulk_interval_query_of_the_ui(both):
    # The UI's own variables: no step range, 320 points at most.
    ours, theirs = answers(
        both,
        ui_query("get-metric-history-bulk-interval"),
        lambda l: {
            "data": {"runIds": [l.run_id], "metricKey": "loss", "startStep": None, "endStep": None, "maxResults": 320}
        },
    )
    assert len(ours["data"]["mlflowGetMetricHistoryBulkInterval"]["metrics"]) == 5
    assert ours == theirs


def test_int64_steps_past_2_53_stay_exact(both):
    step = 1152921504606846979  # 2^60 + 3: a JavaScript number would read it as ...976
    for logged in both:
        MlflowClient(tracking_uri=logged.url).log_metric(logged.run_id, "big_step", 1.0, timestamp=START_MS, step=step)
    ours, theirs = answers(
        both,
        ui_query("get-metric-history-bulk-interval"),
        lambda l: {"data": {"runIds": [l.run_id], "metricKey": "big_step"}},
    )
    assert [m["step"] for m in ours["data"]["mlflowGetMetricHistoryBulkInterval"]["metrics"]] == [str(step)]
    assert ours == theirs


LIST_ARTIFACTS = """query L($input: MlflowListArtifactsInput) {
  mlflowListArtifacts(input: $input) { rootUri nextPageToken files { path isDir fileSize } apiError { code } }
}"""


@pytest.mark.parametrize("path", [None, "dir"])
def test_list_artifacts(both, path):
    ours, theirs = answers(both, LIST_ARTIFACTS, lambda l: {"input": {"runId": l.run_id, "path": path}})
    assert ours["errors"] is None
    assert ours == theirs


SEARCH_VERSIONS = """query V($input: MlflowSearchModelVersionsInput) {
  mlflowSearchModelVersions(input: $input) {
    nextPageToken apiError { code }
    modelVersions { name version creationTimestamp lastUpdatedTimestamp userId currentStage description source
      runId status statusMessage runLink aliases modelId tags { key value } }
  }
}"""


def test_search_model_versions(both):
    ours, theirs = answers(both, SEARCH_VERSIONS, lambda l: {"input": {"filter": f"name='{l.model_name}'"}})
    # semreg adds its `semver` tag to every version by design (docs/registry.md); nothing else differs.
    for version in ours["data"]["mlflowSearchModelVersions"]["modelVersions"]:
        version["tags"] = [tag for tag in version["tags"] if tag["key"] != "semver"]
    assert ours == theirs


SEARCH_DATASETS = """mutation D($input: MlflowSearchDatasetsInput) {
  mlflowSearchDatasets(input: $input) { datasetSummaries { experimentId name digest context } apiError { code } }
}"""


def test_search_datasets(both):
    ours, theirs = answers(both, SEARCH_DATASETS, lambda l: {"input": {"experimentIds": [l.experiment_id]}})
    assert ours["errors"] is None
    assert ours == theirs


@pytest.mark.parametrize(
    "query,variables",
    [
        (ui_query("get-run"), lambda l: {"data": {"runId": "f" * 32}}),
        (ui_query("get-experiment"), lambda l: {"input": {"experimentId": "987654321"}}),
        ("mutation { mlflowSearchDatasets(input: {experimentIds: []}) { datasetSummaries { name } } }", lambda l: None),
        ("query { nope }", lambda l: None),
        ("query { " + " ".join(['test(inputString: "x") { output }'] * 11) + " }", lambda l: None),
        ('query { test(inputString: "x") { ' + " ".join(f"a{i}: output" for i in range(11)) + " } }", lambda l: None),
    ],
    ids=["unknown-run", "unknown-experiment", "no-experiments", "unknown-field", "11-root-fields", "11-aliases"],
)
def test_errors_have_the_reference_shape(both, query, variables):
    ours, theirs = answers(both, query, variables)
    assert ours["errors"], ours
    # graphql-js words validation errors with "double quotes" where graphql-core uses 'single' ones.
    assert ours["data"] == theirs["data"]
    assert [e.replace('"', "'") for e in ours["errors"]] == theirs["errors"]


TYPES = """query {
  __schema {
    queryType { name } mutationType { name }
    types {
      name kind
      fields { name args { name type { name kind ofType { name kind } } } type { ...T } }
      inputFields { name type { ...T } }
      enumValues { name }
    }
  }
}
fragment T on __Type { name kind ofType { name kind ofType { name kind ofType { name kind } } } }"""


def test_introspection_shows_the_same_schema(both):
    ours, theirs = answers(both, TYPES, lambda l: None)

    def own_types(answer):
        schema = answer["data"]["__schema"]
        types = {t["name"]: t for t in schema["types"] if not t["name"].startswith("__")}
        return schema["queryType"], schema["mutationType"], types

    assert own_types(ours) == own_types(theirs)
