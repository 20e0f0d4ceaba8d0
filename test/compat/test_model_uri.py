"""`models:/` resolution by number, semver, range, alias, stage and `latest` with the stock client (issue 3).

The client reads every non-numeric suffix other than `latest` as a stage and sends it in
`get-latest-versions {stages: [suffix]}` (mlflow-compat.md §4.2/§4.4); semreg answers semvers and ranges there.
The first half resolves URIs to storage locations (registry calls only); the second half downloads real files
through the artifact proxy, which needs the tracking API and artifact storage (issue 4).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException, RestException
from mlflow.store.artifact.models_artifact_repo import ModelsArtifactRepository
from support import artifact_source, mlflow3_only, rest_error, semver

# version number → semver, created in this order; v6 and v7 are created after higher semvers so that
# "highest semver" and "highest integer" disagree.
SEMVERS = {
    "1": "1.0.0",
    "2": "1.2.0",
    "3": "1.2.5",
    "4": "1.3.0-rc.1",
    "5": "2.0.0",
    "6": "1.1.0",
    "7": "2.1.0-beta.1",
}
ALIASES = {"champion": "2"}
STAGES = {"3": "Production", "6": "Staging"}

# selector (the suffix of models:/<name>/<suffix>, or @alias) → expected integer version
RESOLUTION = [
    pytest.param("/1", "1", id="number"),
    pytest.param("/6", "6", id="number-not-semver-order"),
    pytest.param("/1.2.0", "2", id="semver"),
    pytest.param("/1.3.0-rc.1", "4", id="semver-prerelease"),
    pytest.param("/^1.2", "3", id="caret"),
    pytest.param("/^1", "3", id="caret-major"),
    pytest.param("/~1.2.3", "3", id="tilde"),
    pytest.param("/~1.1", "6", id="tilde-minor"),
    pytest.param("/1.x", "3", id="x-range-skips-prereleases"),
    pytest.param("/1.2.x", "3", id="x-range-minor"),
    pytest.param("/>=1.0.0 <2.0.0", "3", id="comparator-pair-with-space"),
    pytest.param("/>=1.1.0 <1.2.0", "6", id="comparator-pair-low"),
    pytest.param("/<1.1.0", "1", id="less-than"),
    pytest.param("/>1.0.0", "5", id="greater-than-skips-prereleases"),
    pytest.param("/^1.3.0-rc.0", "4", id="range-naming-a-prerelease"),
    pytest.param("/^2.1.0-beta.0", "7", id="prerelease-range-major-2"),
    pytest.param("/^2", "5", id="caret-2"),
    pytest.param("/latest", "7", id="latest-is-highest-integer"),
    pytest.param("/LATEST", "7", id="latest-any-case"),
    pytest.param("/Production", "3", id="stage"),
    pytest.param("/production", "3", id="stage-any-case"),
    pytest.param("/Staging", "6", id="stage-staging"),
    pytest.param("@champion", "2", id="alias"),
]


@pytest.fixture(scope="module")
def registry(server):
    return MlflowClient(tracking_uri=server.url, registry_uri=server.url)


@pytest.fixture(scope="module")
def selector_model(registry) -> tuple[str, dict[str, str]]:
    """A model with the versions above; returns (name, version → source)."""
    name = f"resolve-{uuid.uuid4().hex[:8]}"
    registry.create_registered_model(name)
    sources = {}
    for version, value in SEMVERS.items():
        sources[version] = artifact_source(f"v{version}")
        mv = registry.create_model_version(name, sources[version], tags={"semver": value})
        assert mv.version == version
    for alias, version in ALIASES.items():
        registry.set_registered_model_alias(name, alias, version)
    for version, stage in STAGES.items():
        registry.transition_model_version_stage(name, version, stage)
    return name, sources


@pytest.mark.parametrize(("selector", "expected"), RESOLUTION)
def test_models_uri_resolves_to_the_expected_version(selector_model, selector, expected):
    name, sources = selector_model
    assert ModelsArtifactRepository.get_underlying_uri(f"models:/{name}{selector}") == sources[expected]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [("1.2.0", "2"), ("^1.2", "3"), (">=1.0.0 <2.0.0", "3"), ("1.x", "3"), ("^1.3.0-rc.0", "4")],
)
def test_get_latest_versions_answers_semver_selectors_with_exactly_one_version(
    registry, selector_model, selector, expected
):
    name, _ = selector_model
    found = registry.get_latest_versions(name, [selector])
    assert [mv.version for mv in found] == [expected]
    assert semver(found[0]) == SEMVERS[expected]


@pytest.mark.parametrize("selector", ["3.0.0", "^5", "1.2.6", ">=9.0.0 <10.0.0"])
def test_semver_selector_without_match_is_resource_does_not_exist(selector_model, selector):
    name, _ = selector_model
    with rest_error("RESOURCE_DOES_NOT_EXIST", name):
        ModelsArtifactRepository.get_underlying_uri(f"models:/{name}/{selector}")


def test_selector_that_is_neither_stage_nor_semver_nor_range(selector_model):
    name, _ = selector_model
    with rest_error("INVALID_PARAMETER_VALUE"):
        ModelsArtifactRepository.get_underlying_uri(f"models:/{name}/Bogus")


def test_empty_stage_gives_the_clients_own_no_versions_error(registry, unique_name):
    # A real stage with nothing in it keeps MLflow's meaning: an empty list, which the client turns into
    # its own "No versions of model ..." MlflowException.
    registry.create_registered_model(unique_name)
    registry.create_model_version(unique_name, artifact_source())
    with pytest.raises(MlflowException) as info:
        ModelsArtifactRepository.get_underlying_uri(f"models:/{unique_name}/Archived")
    assert not isinstance(info.value, RestException)
    assert "No versions of model" in info.value.message


def test_unknown_model_in_models_uri(unique_name):
    with rest_error("RESOURCE_DOES_NOT_EXIST", unique_name):
        ModelsArtifactRepository.get_underlying_uri(f"models:/{unique_name}/^1")


def test_missing_alias_in_models_uri(selector_model):
    name, _ = selector_model
    with rest_error("INVALID_PARAMETER_VALUE"):
        ModelsArtifactRepository.get_underlying_uri(f"models:/{name}@nobody")


def test_download_uri_by_integer_version(registry, selector_model):
    name, sources = selector_model
    assert registry.get_model_version_download_uri(name, "4") == sources["4"]


# ---------------------------------------------------------------- downloads through the artifact proxy

MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_version: 3.11.0
model_uuid: {uuid}
utc_time_created: '2026-01-01 00:00:00.000000'
"""


@pytest.fixture(scope="module")
def stored_model(registry, tmp_path_factory) -> tuple[str, dict[str, str]]:
    """A model whose versions point at real files uploaded through the artifact proxy.

    Each version directory holds `MLmodel` (its model_uuid names the version) and `marker.json`.
    Returns (name, version → model_uuid).
    """
    name = f"stored-{uuid.uuid4().hex[:8]}"
    run = registry.create_run("0")
    registry.create_registered_model(name)
    uuids = {}
    for version, value in SEMVERS.items():
        local = tmp_path_factory.mktemp(f"v{version}")
        uuids[version] = uuid.uuid4().hex
        (local / "MLmodel").write_text(MLMODEL.format(uuid=uuids[version]))
        (local / "marker.json").write_text(json.dumps({"version": version, "semver": value}))
        (local / "sub").mkdir()
        (local / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 4)
        registry.log_artifacts(run.info.run_id, str(local), f"v{version}")
        source = f"{run.info.artifact_uri}/v{version}"
        mv = registry.create_model_version(name, source, run_id=run.info.run_id, tags={"semver": value})
        assert mv.version == version
    for alias, version in ALIASES.items():
        registry.set_registered_model_alias(name, alias, version)
    for version, stage in STAGES.items():
        registry.transition_model_version_stage(name, version, stage)
    registry.set_terminated(run.info.run_id)
    return name, uuids


def _marker(directory: str) -> dict:
    return json.loads((Path(directory) / "marker.json").read_text())


@pytest.mark.parametrize(("selector", "expected"), RESOLUTION)
def test_download_artifacts_of_models_uri(stored_model, tmp_path, selector, expected):
    name, _ = stored_model
    local = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}{selector}", dst_path=str(tmp_path))
    assert _marker(local) == {"version": expected, "semver": SEMVERS[expected]}
    assert (Path(local) / "sub" / "weights.bin").read_bytes() == bytes(range(256)) * 4


def test_download_single_file_below_a_semver_range(stored_model, tmp_path):
    name, _ = stored_model
    local = mlflow.artifacts.download_artifacts(f"models:/{name}/^1.2/marker.json", dst_path=str(tmp_path))
    assert json.loads(Path(local).read_text()) == {"version": "3", "semver": "1.2.5"}


@mlflow3_only
@pytest.mark.parametrize(("selector", "expected"), [("/1", "1"), ("/1.2.0", "2"), ("/~1.2.3", "3"), ("@champion", "2")])
def test_get_model_info_of_models_uri(stored_model, selector, expected):
    from mlflow.models import get_model_info  # imports numpy: not installed in the 2.x pass

    name, uuids = stored_model
    assert get_model_info(f"models:/{name}{selector}").model_uuid == uuids[expected]
