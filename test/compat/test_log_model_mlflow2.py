"""The MLflow 2.x `log_model` path (mlflow-compat.md §5.2, last paragraph): files go under the run's artifacts,
the model is recorded with `runs/log-model`, and the version is registered from a `mlflow-artifacts:/` source.
No logged models are involved. MLflow 3 takes a different path, covered by test_tracking.py.
"""

from __future__ import annotations

import json
import math

import mlflow
import numpy as np
import pytest
from support import semver

# 2.x log_model path (files under the run, runs/log-model); the 3.x one is in test_tracking.py.
pytestmark = pytest.mark.mlflow2


def test_log_model_register_and_load_with_the_2x_client(name_factory):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=120, n_features=5, random_state=11)
    model = LogisticRegression(max_iter=300).fit(X, y)
    name = name_factory("churn2x")
    mlflow.set_experiment(name_factory("exp"))
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metric("loss", float("nan"))
        mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name=name, input_example=X[:2])

    client = mlflow.MlflowClient()
    mv = client.get_model_version(name, "1")
    assert (mv.status, semver(mv), mv.run_id) == ("READY", "1.0.0", run.info.run_id)
    assert mv.source == f"{run.info.artifact_uri}/model"
    finished = client.get_run(run.info.run_id)
    assert math.isnan(finished.data.metrics["loss"])
    history = json.loads(finished.data.tags["mlflow.log-model.history"])
    assert [entry["artifact_path"] for entry in history] == ["model"]

    client.set_registered_model_alias(name, "prod", "1")
    expected = model.predict(X)
    uris = [f"models:/{name}/1", f"models:/{name}/1.0.0", f"models:/{name}/^1", f"models:/{name}@prod"]
    for uri in uris + [f"runs:/{run.info.run_id}/model"]:
        assert np.array_equal(mlflow.pyfunc.load_model(uri).predict(X), expected), uri
