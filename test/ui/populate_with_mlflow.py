"""Populates semreg the way a data scientist would, with the real MLflow client (issue 13's UI scenario).

Usage: python populate_with_mlflow.py <model name>; MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_TOKEN with
AUTH=on) point at the server. Prints one JSON line: the run and experiment ids.
"""

import json
import sys

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

name = sys.argv[1]
X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.2, 0.9]])
y = np.array([0, 1, 1, 0])

mlflow.set_experiment(f"{name}-training")
with mlflow.start_run(run_name="train") as run:
    mlflow.log_param("C", "1.0")
    for step, (accuracy, loss) in enumerate([(0.6, 0.9), (0.75, 0.5), (0.9, 0.2)]):
        mlflow.log_metrics({"accuracy": accuracy, "loss": loss}, step=step)
    model = LogisticRegression().fit(X, y)
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name)  # version 1 = 1.0.0

# Registered out of semver order on purpose: the UI must sort by precedence, not by integer version.
mlflow.register_model(info.model_uri, name, tags={"semver": "2.0.0-rc.1"})  # version 2
champion = mlflow.register_model(info.model_uri, name, tags={"semver": "1.1.0"})  # version 3
client = MlflowClient()
client.set_registered_model_alias(name, "champion", champion.version)
client.transition_model_version_stage(name, "1", "Production")
print(json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}))
