"""Every model-registry endpoint through the unmodified MlflowClient (issue 3), plus semreg's semver rules.

Registry-only: sources are `mlflow-artifacts:/` locations and run ids are random, so nothing here needs the
tracking API or stored files. `test_model_uri.py` covers `models:/` resolution.
"""

from __future__ import annotations

import time

import pytest
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.models_artifact_repo import ModelsArtifactRepository
from support import MLFLOW_MAJOR, artifact_source, client_error, fake_run_id, rest_error, semver


def now_ms() -> int:
    return int(time.time() * 1000)


def make_versions(client, name: str, *semvers: str | None) -> list[ModelVersion]:
    """Creates `name` and one version per entry (None = let the server assign the semver)."""
    client.create_registered_model(name)
    return [
        client.create_model_version(name, artifact_source(f"v{i}"), tags={"semver": s} if s else None)
        for i, s in enumerate(semvers, start=1)
    ]


# ---------------------------------------------------------------- registered models


def test_create_and_get_registered_model(client, unique_name):
    before = now_ms()
    created = client.create_registered_model(unique_name, tags={"team": "fraud", "tier": "1"}, description="d1")
    assert isinstance(created, RegisteredModel)
    assert created.name == unique_name
    assert created.description == "d1"
    assert created.tags == {"team": "fraud", "tier": "1"}

    got = client.get_registered_model(unique_name)
    assert got.name == unique_name
    assert got.description == "d1"
    assert got.tags == {"team": "fraud", "tier": "1"}
    assert got.latest_versions == []
    assert got.aliases == {}
    # timestamps are epoch milliseconds (not seconds, not strings)
    assert before - 5_000 <= got.creation_timestamp <= now_ms() + 5_000
    assert got.last_updated_timestamp >= got.creation_timestamp


def test_create_duplicate_registered_model_is_resource_already_exists(client, unique_name):
    client.create_registered_model(unique_name)
    with rest_error("RESOURCE_ALREADY_EXISTS", unique_name):
        client.create_registered_model(unique_name)


def test_get_missing_registered_model_is_resource_does_not_exist(client, unique_name):
    with rest_error("RESOURCE_DOES_NOT_EXIST", unique_name):
        client.get_registered_model(unique_name)


def test_update_registered_model_description(client, unique_name):
    client.create_registered_model(unique_name)
    updated = client.update_registered_model(unique_name, description="now with a description")
    assert updated.description == "now with a description"
    assert client.get_registered_model(unique_name).description == "now with a description"


def test_rename_moves_versions_and_semvers(client, unique_name):
    make_versions(client, unique_name, None, "2.0.0")
    new_name = unique_name + "-renamed"
    # MlflowClient.rename_registered_model returns None (3.17 and 2.22), whatever the server answers
    assert client.rename_registered_model(unique_name, new_name) is None
    assert client.get_registered_model(new_name).name == new_name

    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(unique_name)
    v2 = client.get_model_version(new_name, "2")
    assert v2.name == new_name
    assert semver(v2) == "2.0.0"
    # the per-model counter moved too: the next version is 3, next patch after 2.0.0
    v3 = client.create_model_version(new_name, artifact_source())
    assert (v3.version, semver(v3)) == ("3", "2.0.1")


def test_rename_onto_existing_name_is_refused(client, name_factory):
    a, b = name_factory("a"), name_factory("b")
    client.create_registered_model(a)
    client.create_registered_model(b)
    with rest_error("RESOURCE_ALREADY_EXISTS"):
        client.rename_registered_model(a, b)


def test_delete_registered_model_and_recreate_starts_at_version_1(client, unique_name):
    make_versions(client, unique_name, None, None)
    client.delete_registered_model(unique_name)
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(unique_name)
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(unique_name, "1")

    client.create_registered_model(unique_name)
    mv = client.create_model_version(unique_name, artifact_source())
    assert (mv.version, semver(mv)) == ("1", "1.0.0")


def test_delete_missing_registered_model(client, unique_name):
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_registered_model(unique_name)


def test_registered_model_tags_set_overwrite_delete(client, unique_name):
    client.create_registered_model(unique_name)
    client.set_registered_model_tag(unique_name, "owner", "alice")
    client.set_registered_model_tag(unique_name, "owner", "bob")  # upsert
    client.set_registered_model_tag(unique_name, "mlflow.note", "x" * 5000)
    assert client.get_registered_model(unique_name).tags == {"owner": "bob", "mlflow.note": "x" * 5000}
    client.delete_registered_model_tag(unique_name, "owner")
    assert client.get_registered_model(unique_name).tags == {"mlflow.note": "x" * 5000}


@pytest.mark.parametrize("bad", ["team/model", "team:model", "../model"])
def test_invalid_registered_model_name(client, bad):
    # create_registered_model does no client-side check: the server must refuse these names.
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.create_registered_model(bad)


# ---------------------------------------------------------------- searching registered models


@pytest.fixture
def three_models(client, name_factory):
    prefix = name_factory("search")
    # lower-case heads keep the expected name order independent of the database collation
    names = [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c-X"]
    client.create_registered_model(names[0], tags={"team": "red", "env": "prod"})
    client.create_registered_model(names[1], tags={"team": "blue"})
    client.create_registered_model(names[2], tags={"team": "red"})
    return prefix, names


def _names(models) -> list[str]:
    return [m.name for m in models]


def test_search_registered_models_name_filters(client, three_models):
    prefix, (a, b, c) = three_models
    assert _names(client.search_registered_models(f"name = '{b}'")) == [b]
    assert _names(client.search_registered_models(f"name LIKE '{prefix}-%'")) == [a, b, c]
    assert _names(client.search_registered_models(f"name LIKE '%{prefix[-8:]}-_'")) == [a, b]
    # LIKE is case-sensitive, ILIKE is not
    assert _names(client.search_registered_models(f"name LIKE '{prefix}-c-x'")) == []
    assert _names(client.search_registered_models(f"name ILIKE '{prefix}-C-x'")) == [c]
    assert _names(client.search_registered_models(f"name != '{a}' AND name LIKE '{prefix}%'")) == sorted([b, c])


def test_search_registered_models_default_order_is_name_asc(client, three_models):
    prefix, names = three_models
    assert _names(client.search_registered_models(f"name LIKE '{prefix}-%'")) == sorted(names)


def test_search_registered_models_tag_filters(client, three_models):
    prefix, (a, b, c) = three_models
    scope = f"name LIKE '{prefix}-%'"
    assert _names(client.search_registered_models(f"{scope} AND tags.team = 'red'")) == sorted([a, c])
    assert _names(client.search_registered_models(f"{scope} AND tag.team = 'blue'")) == [b]
    assert _names(client.search_registered_models(f"{scope} AND tags.`env` = 'prod'")) == [a]
    assert _names(client.search_registered_models(f"{scope} AND tags.team LIKE 'r%'")) == sorted([a, c])
    assert _names(client.search_registered_models(f"{scope} AND tags.team ILIKE 'BL%'")) == [b]


def test_search_registered_models_order_by(client, three_models):
    prefix, (a, b, c) = three_models
    scope = f"name LIKE '{prefix}-%'"
    assert _names(client.search_registered_models(scope, order_by=["name DESC"])) == sorted([a, b, c], reverse=True)
    # c was created last; touching a makes it the most recently updated
    client.update_registered_model(a, description="touched")
    by_update = _names(client.search_registered_models(scope, order_by=["last_updated_timestamp DESC"]))
    assert by_update[0] == a
    by_creation = _names(client.search_registered_models(scope, order_by=["creation_timestamp ASC"]))
    assert by_creation == [a, b, c]


def test_search_registered_models_pagination(client, three_models):
    prefix, names = three_models
    scope = f"name LIKE '{prefix}-%'"
    first = client.search_registered_models(scope, max_results=2)
    assert len(first) == 2 and first.token
    second = client.search_registered_models(scope, max_results=2, page_token=first.token)
    assert len(second) == 1 and not second.token
    assert _names(first) + _names(second) == sorted(names)


def test_search_registered_models_unfiltered_returns_models(client, unique_name):
    # The MLflow 3 client adds tag.`mlflow.prompt.is_prompt` != 'true' to every search; a model without
    # that tag must still match (mlflow-compat.md §6.3).
    client.create_registered_model(unique_name)
    found = client.search_registered_models(f"name = '{unique_name}'")
    assert _names(found) == [unique_name]
    page = client.search_registered_models(max_results=1000)
    assert len(page) >= 1


@pytest.mark.parametrize("bad", ["name = ", "name ~ 'x'", "foo.bar = 'x'", "name = 'a' OR name = 'b'"])
def test_search_registered_models_bad_filter(client, bad):
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.search_registered_models(bad)


def test_search_registered_models_bad_order_by(client):
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.search_registered_models(order_by=["no_such_column DESC"])


def test_search_registered_models_max_results_cap(client):
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.search_registered_models(max_results=1001)


# ---------------------------------------------------------------- model versions


def test_create_model_version_returns_ready_version_with_semver(client, unique_name):
    client.create_registered_model(unique_name)
    run = client.create_run("0").info
    run_id = run.run_id
    source = f"{run.artifact_uri}/model"
    before = now_ms()
    mv = client.create_model_version(
        unique_name,
        source,
        run_id=run_id,
        tags={"purpose": "compat"},
        run_link="https://ci.example/jobs/1",
        description="first version",
    )
    assert mv.version == "1"
    assert mv.status == "READY"
    assert mv.current_stage == "None"
    assert mv.source == source
    assert mv.run_id == run_id
    assert mv.run_link == "https://ci.example/jobs/1"
    assert mv.description == "first version"
    assert mv.tags == {"purpose": "compat", "semver": "1.0.0"}
    assert before - 5_000 <= mv.creation_timestamp <= now_ms() + 5_000

    got = client.get_model_version(unique_name, "1")
    assert (got.version, got.status, got.source, got.run_id) == ("1", "READY", source, run_id)
    assert got.tags == {"purpose": "compat", "semver": "1.0.0"}


def test_versions_are_sequential_integers_with_next_patch_semvers(client, unique_name):
    versions = make_versions(client, unique_name, None, None, None)
    assert [v.version for v in versions] == ["1", "2", "3"]
    assert [semver(v) for v in versions] == ["1.0.0", "1.0.1", "1.0.2"]


def test_default_semver_is_next_patch_after_highest_release(client, unique_name):
    versions = make_versions(client, unique_name, "2.0.0", "3.0.0-rc.1", "1.5.0", None)
    # 3.0.0-rc.1 is a prerelease and 1.5.0 is lower: the highest release is 2.0.0
    assert semver(versions[-1]) == "2.0.1"
    assert versions[-1].version == "4"


@pytest.mark.parametrize("value", ["1.4.0-rc.1", "0.0.1", "10.20.30", "1.0.0-alpha.beta.1", "1.0.0+build.7"])
def test_explicit_semver_tag(client, unique_name, value):
    client.create_registered_model(unique_name)
    mv = client.create_model_version(unique_name, artifact_source(), tags={"semver": value})
    assert semver(mv) == value
    assert semver(client.get_model_version(unique_name, mv.version)) == value


def test_gitlab_version_tag_sets_semver(client, unique_name):
    client.create_registered_model(unique_name)
    mv = client.create_model_version(unique_name, artifact_source(), tags={"gitlab.version": "2.3.4"})
    assert semver(mv) == "2.3.4"
    assert semver(client.get_model_version(unique_name, mv.version)) == "2.3.4"


def test_register_model_fluent_api_accepts_semver_tag(unique_name):
    import mlflow

    mv = mlflow.register_model(artifact_source(), unique_name, tags={"semver": "0.3.0"})
    assert (mv.version, semver(mv), mv.status) == ("1", "0.3.0", "READY")


@pytest.mark.parametrize("value", ["1.2", "01.2.3", "1.02.3", "v1.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-a..b", "abc"])
def test_invalid_semver_is_invalid_parameter_value(client, unique_name, value):
    client.create_registered_model(unique_name)
    with rest_error("INVALID_PARAMETER_VALUE", value):
        client.create_model_version(unique_name, artifact_source(), tags={"semver": value})
    # nothing was stored and no number was used up
    mv = client.create_model_version(unique_name, artifact_source())
    assert (mv.version, semver(mv)) == ("1", "1.0.0")


def test_duplicate_semver_is_resource_already_exists_naming_the_version(client, unique_name):
    make_versions(client, unique_name, "1.2.0", "1.3.0-rc.1")
    with rest_error("RESOURCE_ALREADY_EXISTS", "1.2.0", "1"):
        client.create_model_version(unique_name, artifact_source(), tags={"semver": "1.2.0"})
    with rest_error("RESOURCE_ALREADY_EXISTS", "2"):
        client.create_model_version(unique_name, artifact_source(), tags={"semver": "1.3.0-rc.1"})
    # build metadata does not make a version distinct (semver.org §10)
    with rest_error("RESOURCE_ALREADY_EXISTS"):
        client.create_model_version(unique_name, artifact_source(), tags={"semver": "1.2.0+build.9"})
    # refused creates leave no gap in the integer versions
    mv = client.create_model_version(unique_name, artifact_source(), tags={"semver": "1.2.1"})
    assert mv.version == "3"


def test_semver_tag_is_immutable(client, unique_name):
    make_versions(client, unique_name, "1.0.0")
    with rest_error("INVALID_PARAMETER_VALUE", "semver"):
        client.set_model_version_tag(unique_name, "1", "semver", "9.9.9")
    with rest_error("INVALID_PARAMETER_VALUE", "semver"):
        client.delete_model_version_tag(unique_name, "1", "semver")
    assert semver(client.get_model_version(unique_name, "1")) == "1.0.0"


def test_model_version_tags_set_overwrite_delete(client, unique_name):
    make_versions(client, unique_name, None)
    client.set_model_version_tag(unique_name, "1", "validated", "no")
    client.set_model_version_tag(unique_name, "1", "validated", "yes")
    assert client.get_model_version(unique_name, "1").tags == {"validated": "yes", "semver": "1.0.0"}
    client.delete_model_version_tag(unique_name, "1", "validated")
    assert client.get_model_version(unique_name, "1").tags == {"semver": "1.0.0"}


def test_update_model_version_description(client, unique_name):
    make_versions(client, unique_name, None)
    updated = client.update_model_version(unique_name, "1", description="better")
    assert updated.description == "better"
    assert client.get_model_version(unique_name, "1").description == "better"


def test_delete_model_version_never_reuses_its_number(client, unique_name):
    make_versions(client, unique_name, None, None)
    client.delete_model_version(unique_name, "2")
    with rest_error("RESOURCE_DOES_NOT_EXIST", unique_name):
        client.get_model_version(unique_name, "2")
    mv = client.create_model_version(unique_name, artifact_source())
    assert mv.version == "3"


def test_get_missing_model_version(client, unique_name):
    make_versions(client, unique_name, None)
    with rest_error("RESOURCE_DOES_NOT_EXIST", unique_name):
        client.get_model_version(unique_name, "7")


def test_non_integer_version_is_invalid_parameter_value(client, unique_name):
    make_versions(client, unique_name, None)
    with rest_error("INVALID_PARAMETER_VALUE", "1.0.0"):
        client.get_model_version(unique_name, "1.0.0")


def test_create_version_of_missing_model(client, unique_name):
    with rest_error("RESOURCE_DOES_NOT_EXIST", unique_name):
        client.create_model_version(unique_name, artifact_source())


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "file://./etc",
        "/etc/passwd",
        "../../../etc",
        "s3://bucket/a/../model",
        "https://example.com/model",
        "ftp://files.example.com/model",
        "mlflow-artifacts:/0/../../etc",
        "mlflow-artifacts:/0/%2E%2E/%2E%2E/etc",
        "mlflow-artifacts:/0/a%00b",
    ],
)
def test_create_model_version_refuses_foreign_sources(client, unique_name, source):
    client.create_registered_model(unique_name)
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.create_model_version(unique_name, source)


def test_object_store_source_is_stored_as_given_as_the_reference_does(client, unique_name):
    """The reference accepts `s3://`, `gs://`, `wasbs://`, `dbfs:/` sources; the client reads them itself."""
    client.create_registered_model(unique_name)
    mv = client.create_model_version(unique_name, "s3://team-bucket/models/churn")
    assert mv.source == "s3://team-bucket/models/churn"
    assert client.get_model_version_download_uri(unique_name, mv.version) == "s3://team-bucket/models/churn"


def test_create_model_version_from_runs_source(client, unique_name):
    run = client.create_run("0")
    client.create_registered_model(unique_name)
    run_source = f"runs:/{run.info.run_id}/model"
    mv = client.create_model_version(unique_name, run_source, run_id=run.info.run_id)
    assert mv.status == "READY" and mv.source == run_source
    # As the reference: the runs:/ URI as given; the client resolves it through runs/get.
    assert client.get_model_version_download_uri(unique_name, mv.version) == run_source


def test_runs_source_of_a_run_this_server_does_not_have_is_accepted_as_the_reference_does(client, unique_name):
    """The reference never looks the run up (it may live on another tracking server)."""
    client.create_registered_model(unique_name)
    run_id = fake_run_id()
    mv = client.create_model_version(unique_name, f"runs:/{run_id}/model", run_id=run_id)
    assert mv.version == "1" and mv.run_id == run_id
    assert client.get_model_version_download_uri(unique_name, "1") == f"runs:/{run_id}/model"


def test_create_model_version_from_models_source(client, unique_name):
    make_versions(client, unique_name, None)
    chained = client.create_model_version(unique_name, f"models:/{unique_name}/1")
    assert chained.status == "READY"
    assert client.get_model_version_download_uri(unique_name, chained.version) == client.get_model_version_download_uri(
        unique_name, "1"
    )


def test_get_model_version_download_uri(client, unique_name):
    client.create_registered_model(unique_name)
    source = artifact_source("my-model")
    client.create_model_version(unique_name, source)
    assert client.get_model_version_download_uri(unique_name, "1") == source


# ---------------------------------------------------------------- searching model versions


def _versions(mvs) -> list[str]:
    return [mv.version for mv in mvs]


def test_search_model_versions_filters(client, unique_name):
    run_a, run_b = (client.create_run("0").info for _ in range(2))
    client.create_registered_model(unique_name)
    unowned = f"mlflow-artifacts:/0/{fake_run_id()}/artifacts"  # no run's files: needs no run_id
    roots = [run_a.artifact_uri, run_b.artifact_uri, run_b.artifact_uri, unowned]
    sources = [f"{root}/m{i}" for i, root in enumerate(roots)]
    run_a, run_b = run_a.run_id, run_b.run_id
    client.create_model_version(unique_name, sources[0], run_id=run_a, tags={"semver": "1.0.0", "ci.job_id": "123"})
    client.create_model_version(unique_name, sources[1], run_id=run_b, tags={"semver": "1.2.0"})
    client.create_model_version(unique_name, sources[2], run_id=run_b, tags={"semver": "1.10.0", "flag": "on"})
    client.create_model_version(unique_name, sources[3], tags={"semver": "2.0.0-rc.1"})
    scope = f"name = '{unique_name}'"
    order = ["version_number ASC"]

    def search(extra: str) -> list[str]:
        return _versions(client.search_model_versions(f"{scope} AND {extra}", order_by=order))

    assert _versions(client.search_model_versions(scope, order_by=order)) == ["1", "2", "3", "4"]
    assert search("tag.semver = '1.2.0'") == ["2"]
    assert search("tags.semver = '1.10.0'") == ["3"]
    assert search("tag.`ci.job_id` = '123'") == ["1"]
    assert search("tags.semver LIKE '1.%'") == ["1", "2", "3"]
    assert search("tags.flag != 'off'") == ["3"]
    assert search(f"run_id = '{run_a}'") == ["1"]
    assert search(f"run_id IN ('{run_a}', '{run_b}')") == ["1", "2", "3"]
    assert search("version_number >= 2") == ["2", "3", "4"]
    assert search("version_number = 3") == ["3"]
    assert search("version_number < 2") == ["1"]
    assert search(f"source_path = '{sources[1]}'") == ["2"]
    assert search("source_path LIKE '%/m3'") == ["4"]


def test_search_model_versions_default_order_and_fields(client, unique_name):
    make_versions(client, unique_name, None, None, None)
    # default: last_updated_timestamp DESC, then version DESC
    assert _versions(client.search_model_versions(f"name = '{unique_name}'")) == ["3", "2", "1"]
    client.set_registered_model_alias(unique_name, "champion", "2")
    found = client.search_model_versions(f"name = '{unique_name}'")
    by_version = {mv.version: mv for mv in found}
    assert all(mv.status == "READY" for mv in found)
    assert by_version["2"].tags["semver"] == "1.0.1"
    # semreg fills aliases in search results too (MLflow's own search leaves them empty)
    assert by_version["2"].aliases == ["champion"]


def test_search_model_versions_order_by_semver(client, unique_name):
    semvers = ["1.2.0", "1.10.0", "1.9.0-rc.1", "1.9.0", "2.0.0-alpha", "1.9.0-rc.10", "2.0.0-alpha.1", "1.9.0-beta"]
    make_versions(client, unique_name, *semvers)
    found = client.search_model_versions(f"name = '{unique_name}'", order_by=["semver DESC"])
    expected = ["2.0.0-alpha.1", "2.0.0-alpha", "1.10.0", "1.9.0", "1.9.0-rc.10", "1.9.0-rc.1", "1.9.0-beta", "1.2.0"]
    assert [semver(mv) for mv in found] == expected
    ascending = client.search_model_versions(f"name = '{unique_name}'", order_by=["semver ASC"])
    assert [semver(mv) for mv in ascending] == list(reversed(expected))


def test_search_model_versions_pagination(client, unique_name):
    make_versions(client, unique_name, None, None, None)
    scope = f"name = '{unique_name}'"
    first = client.search_model_versions(scope, max_results=2, order_by=["version_number ASC"])
    assert _versions(first) == ["1", "2"] and first.token
    rest = client.search_model_versions(scope, max_results=2, order_by=["version_number ASC"], page_token=first.token)
    assert _versions(rest) == ["3"] and not rest.token


@pytest.mark.parametrize("bad", ["name = ", "run_id > 'x'", "version_number = 'abc'", "no_such = 'x'"])
def test_search_model_versions_bad_filter(client, bad):
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.search_model_versions(bad)


def test_search_model_versions_max_results_cap(client):
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.search_model_versions("name = 'x'", max_results=200_001)


# ---------------------------------------------------------------- stages and latest versions


def test_transition_stage_and_archive_existing_versions(client, unique_name):
    make_versions(client, unique_name, None, None, None)
    mv = client.transition_model_version_stage(unique_name, "1", "production")  # any case in
    assert mv.current_stage == "Production"  # canonical out
    client.transition_model_version_stage(unique_name, "3", "Staging")
    mv2 = client.transition_model_version_stage(unique_name, "2", "Production", archive_existing_versions=True)
    assert mv2.current_stage == "Production"
    stages = {v: client.get_model_version(unique_name, v).current_stage for v in ("1", "2", "3")}
    assert stages == {"1": "Archived", "2": "Production", "3": "Staging"}

    assert _versions(client.get_latest_versions(unique_name, ["Production"])) == ["2"]
    assert _versions(client.get_latest_versions(unique_name, ["staging"])) == ["3"]
    assert sorted(_versions(client.get_latest_versions(unique_name))) == ["1", "2", "3"]
    assert client.get_latest_versions(unique_name, ["None"]) == []
    latest = {mv.current_stage: mv.version for mv in client.get_registered_model(unique_name).latest_versions}
    assert latest == {"Archived": "1", "Production": "2", "Staging": "3"}


def test_latest_versions_pick_highest_version_per_stage(client, unique_name):
    make_versions(client, unique_name, None, None, None)
    latest = client.get_latest_versions(unique_name, ["None"])
    assert _versions(latest) == ["3"]
    assert semver(latest[0]) == "1.0.2"


def test_transition_to_unknown_stage(client, unique_name):
    make_versions(client, unique_name, None)
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.transition_model_version_stage(unique_name, "1", "Bogus")


def test_archive_existing_versions_only_for_staging_or_production(client, unique_name):
    make_versions(client, unique_name, None)
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.transition_model_version_stage(unique_name, "1", "Archived", archive_existing_versions=True)


def test_get_latest_versions_of_missing_model(client, unique_name):
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_latest_versions(unique_name, ["Production"])


# ---------------------------------------------------------------- aliases


def test_aliases_set_get_move_delete(client, unique_name):
    make_versions(client, unique_name, None, None)
    client.set_registered_model_alias(unique_name, "champion", "1")
    client.set_registered_model_alias(unique_name, "challenger", "2")
    by_alias = client.get_model_version_by_alias(unique_name, "champion")
    assert (by_alias.version, semver(by_alias)) == ("1", "1.0.0")
    assert by_alias.aliases == ["champion"]
    assert client.get_registered_model(unique_name).aliases == {"champion": "1", "challenger": "2"}

    client.set_registered_model_alias(unique_name, "champion", "2")  # moving an alias is allowed
    assert client.get_model_version(unique_name, "1").aliases == []
    assert sorted(client.get_model_version(unique_name, "2").aliases) == ["challenger", "champion"]

    client.delete_registered_model_alias(unique_name, "champion")
    assert client.get_registered_model(unique_name).aliases == {"challenger": "2"}
    client.delete_registered_model_alias(unique_name, "champion")  # deleting a missing alias is a no-op


def test_unknown_alias_is_invalid_parameter_value(client, unique_name):
    # MLflow's reference server answers 400 INVALID_PARAMETER_VALUE here, not 404 (mlflow-compat.md §2.5)
    make_versions(client, unique_name, None)
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias(unique_name, "nobody")


def test_alias_latest_resolves_to_latest_version(client, unique_name):
    make_versions(client, unique_name, None, None)
    assert client.get_model_version_by_alias(unique_name, "latest").version == "2"


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v1", "V12"])
def test_reserved_alias_names_are_refused(client, unique_name, alias):
    make_versions(client, unique_name, None)
    # 2.22 refuses reserved aliases client-side; 3.17 leaves the check to the server.
    with rest_error("INVALID_PARAMETER_VALUE") if MLFLOW_MAJOR >= 3 else client_error("reserved"):
        client.set_registered_model_alias(unique_name, alias, "1")
    assert client.get_registered_model(unique_name).aliases == {}


def test_alias_to_missing_version(client, unique_name):
    make_versions(client, unique_name, None)
    with rest_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_alias(unique_name, "champion", "5")


def test_alias_cannot_hold_a_semver(client, unique_name):
    # The client checks aliases against ^[\w-]*$ before sending anything: dots are impossible.
    make_versions(client, unique_name, None)
    with client_error():
        client.set_registered_model_alias(unique_name, "1.0.0", "1")


def test_deleting_a_version_removes_its_aliases(client, unique_name):
    make_versions(client, unique_name, None, None)
    client.set_registered_model_alias(unique_name, "champion", "2")
    client.delete_model_version(unique_name, "2")
    assert client.get_registered_model(unique_name).aliases == {}
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias(unique_name, "champion")


# ---------------------------------------------------------------- client flows built on the endpoints above


def test_prompt_tagged_models_are_hidden_from_model_search(client, name_factory):
    model, prompt = name_factory("model"), name_factory("prompt")
    client.create_registered_model(model)
    client.create_registered_model(prompt)
    # the client refuses to create a model with the prompt tag, but not to tag one afterwards
    client.set_registered_model_tag(prompt, "mlflow.prompt.is_prompt", "true")
    prefix = model.rsplit("-", 2)[0]
    assert _names(client.search_registered_models(f"name LIKE '{prefix}-%'")) == [model]
    asked = client.search_registered_models(f"name = '{prompt}' AND tags.`mlflow.prompt.is_prompt` = 'true'")
    assert _names(asked) == [prompt]


def test_register_model_on_existing_model_adds_a_version(unique_name):
    import mlflow

    first = mlflow.register_model(artifact_source(), unique_name)
    # registered-models/create answers RESOURCE_ALREADY_EXISTS, which the client tolerates (§2.3)
    second = mlflow.register_model(artifact_source(), unique_name)
    assert [(first.version, semver(first)), (second.version, semver(second))] == [("1", "1.0.0"), ("2", "1.0.1")]


def test_fluent_searches_follow_page_tokens(client, unique_name):
    import mlflow

    make_versions(client, unique_name, None, None, None)
    found = mlflow.search_model_versions(filter_string=f"name = '{unique_name}'", order_by=["version_number ASC"])
    assert _versions(found) == ["1", "2", "3"]
    models = mlflow.search_registered_models(filter_string=f"name = '{unique_name}'")
    assert _names(models) == [unique_name]


def test_concurrent_creates_from_threads_get_distinct_numbers_and_semvers(client, unique_name):
    from concurrent.futures import ThreadPoolExecutor

    client.create_registered_model(unique_name)
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda _: client.create_model_version(unique_name, artifact_source()), range(40)))
    assert sorted(int(mv.version) for mv in created) == list(range(1, 41))
    assert len({semver(mv) for mv in created}) == 40
    listed = client.search_model_versions(f"name = '{unique_name}'")
    assert sorted(int(mv.version) for mv in listed) == list(range(1, 41))


def test_model_version_tag_value_limit(client, unique_name):
    make_versions(client, unique_name, None)
    client.set_model_version_tag(unique_name, "1", "long", "x" * 100_000)
    assert len(client.get_model_version(unique_name, "1").tags["long"]) == 100_000
    with pytest.raises(MlflowException) as info:
        client.set_model_version_tag(unique_name, "1", "too-long", "x" * 100_001)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_latest_versions_after_deleting_the_newest(client, unique_name):
    make_versions(client, unique_name, None, None)
    client.delete_model_version(unique_name, "2")
    assert [mv.version for mv in client.get_registered_model(unique_name).latest_versions] == ["1"]
    assert ModelsArtifactRepository.get_underlying_uri(f"models:/{unique_name}/latest") == client.get_model_version_download_uri(
        unique_name, "1"
    )


def test_name_and_description_length_limits(client, name_factory):
    # mlflow-compat.md §6.1 (marked unverified there): names ≤ 256 chars, descriptions ≤ 5000 chars.
    head = name_factory("n")
    longest = head + "x" * (256 - len(head))
    client.create_registered_model(longest, description="d" * 5000)
    assert client.get_registered_model(longest).description == "d" * 5000
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.create_registered_model(longest + "x")
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.update_registered_model(longest, description="d" * 5001)
    mv = client.create_model_version(longest, artifact_source(), description="v" * 5000)
    with rest_error("INVALID_PARAMETER_VALUE"):
        client.update_model_version(longest, mv.version, description="v" * 5001)


def test_copy_model_version_within_one_model_gets_the_next_patch(client, unique_name):
    """The client copies the origin's tags, `semver` included; within one model that semver is taken, so the
    copy gets the next patch and a `semreg.copied_from` tag (MLflow's own test_copy_model_version_flow)."""
    (origin,) = make_versions(client, unique_name, "1.4.0")
    copy = client.copy_model_version(f"models:/{unique_name}/{origin.version}", unique_name)
    assert copy.version == "2"
    assert copy.source == f"models:/{unique_name}/1"
    assert semver(copy) == "1.4.1"
    assert copy.tags["semreg.copied_from"] == f"{unique_name}/1@1.4.0"


def test_own_store_source_needs_the_run_id_whose_artifact_root_holds_it(client, unique_name):
    """MLflow 3.17's lineage rule: another run's files, or a run's files without its id, are refused."""
    run, other = (client.create_run("0").info for _ in range(2))
    client.create_registered_model(unique_name)
    source = f"{run.artifact_uri}/model"
    for run_id in (other.run_id, fake_run_id(), None):
        with rest_error("INVALID_PARAMETER_VALUE", "The run_id request parameter must identify the resource"):
            client.create_model_version(unique_name, source, run_id=run_id)
    with rest_error("INVALID_PARAMETER_VALUE", "The run_id request parameter must identify the resource"):
        client.create_model_version(unique_name, f"runs:/{run.run_id}/model")
    mv = client.create_model_version(unique_name, source, run_id=run.run_id)
    assert (mv.version, mv.run_id, mv.source) == ("1", run.run_id, source)


def test_runs_source_with_another_run_id_is_refused_as_the_reference_does(client, unique_name):
    client.create_registered_model(unique_name)
    source = f"runs:/{fake_run_id()}/model"
    with rest_error("INVALID_PARAMETER_VALUE", "The run_id request parameter must identify the resource"):
        client.create_model_version(unique_name, source, run_id=fake_run_id())
    # Nothing was created: the next version is still 1.
    assert client.create_model_version(unique_name, artifact_source()).version == "1"
