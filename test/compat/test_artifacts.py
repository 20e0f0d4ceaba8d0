"""Artifacts through the mlflow-artifacts proxy with the unmodified MLflow client (issue 4, docs/artifacts.md).

log_artifact(s) PUT each file, list_artifacts and download_artifacts list and GET them; sizes and sha256
must survive the round trip, including a 200 MB file, nested folders and a .json file (sent as text/plain).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import mlflow
from mlflow import MlflowClient


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_nested_folders_round_trip(client: MlflowClient, tmp_path: Path):
    source = tmp_path / "src"
    (source / "model" / "data").mkdir(parents=True)
    (source / "model" / "MLmodel").write_text("flavors: {}\n")
    (source / "model" / "data" / "weights.bin").write_bytes(os.urandom(100_000))
    (source / "metrics.json").write_text(json.dumps({"rmse": 0.7}))
    (source / "dir with space").mkdir()
    (source / "dir with space" / "notes.txt").write_text("hello")

    run = client.create_run("0")
    client.log_artifacts(run.info.run_id, str(source))
    client.set_terminated(run.info.run_id)

    listed = {f.path: f for f in client.list_artifacts(run.info.run_id)}
    assert set(listed) == {"dir with space", "metrics.json", "model"}
    assert listed["model"].is_dir and not listed["metrics.json"].is_dir
    assert listed["metrics.json"].file_size == len(json.dumps({"rmse": 0.7}))
    assert [f.path for f in client.list_artifacts(run.info.run_id, "model")] == ["model/MLmodel", "model/data"]

    out = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "out")))
    assert _tree(out) == _tree(source)

    single = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="metrics.json", dst_path=str(tmp_path / "one"))
    assert json.loads(Path(single).read_text()) == {"rmse": 0.7}


def test_large_file_round_trip_keeps_sha256(client: MlflowClient, tmp_path: Path):
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        for _ in range(200):
            handle.write(os.urandom(1 << 20))

    run = client.create_run("0")
    client.log_artifact(run.info.run_id, str(big), "blobs")
    [entry] = client.list_artifacts(run.info.run_id, "blobs")
    assert entry.file_size == 200 * (1 << 20)

    local = Path(client.download_artifacts(run.info.run_id, "blobs/big.bin", str(tmp_path / "down")))
    assert _sha256(local) == _sha256(big)


def test_empty_listing_of_a_run_without_artifacts(client: MlflowClient):
    run = client.create_run("0")
    assert client.list_artifacts(run.info.run_id) == []
