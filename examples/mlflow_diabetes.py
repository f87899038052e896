"""The diabetes random forest written for MLflow, run unchanged against runstream.

    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python examples/mlflow_diabetes.py

Nothing here knows about runstream: ``mlflow`` talks to runstream's MLflow REST
API, which turns every write into events on the log. Prints the run id.
"""

from __future__ import annotations

import mlflow
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split


def main() -> None:
    mlflow.set_experiment("diabetes-mlflow")
    mlflow.sklearn.autolog(silent=True)

    db = load_diabetes()
    X_train, X_test, y_train, y_test = train_test_split(
        db.data, db.target, random_state=0
    )
    with mlflow.start_run(run_name="forest") as run:
        rf = RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0)
        rf.fit(X_train, y_train)
        mse = mean_squared_error(y_test, rf.predict(X_test))
        mlflow.log_metric("test_mse", mse)
        mlflow.set_tag("data", "diabetes")

    # Read back what was just written: the model, and a search over runs.
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    best = mlflow.search_runs(filter_string="metrics.test_mse < 1e9", max_results=1)
    print(f"predictions: {len(model.predict(X_test))}")
    print(f"runs found: {len(best)}")
    print(f"run_id: {run.info.run_id}")


if __name__ == "__main__":
    main()
