"""Fit an elastic net to the diabetes data and log how well it predicts.

Run by ``runstream run``, which has already logged the parameters and set
RUNSTREAM_RUN_ID, so ``start_run()`` below continues that run.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from pathlib import Path

from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

import runstream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=0.001)
    parser.add_argument("--l1-ratio", type=float, default=0.5)
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    data = load_diabetes()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=args.test_size, random_state=args.seed
    )
    with runstream.start_run() as run:
        model = ElasticNet(alpha=args.alpha, l1_ratio=args.l1_ratio, random_state=0)
        model.fit(X_train, y_train)
        predicted = model.predict(X_test)
        metrics = {
            "rmse": mean_squared_error(y_test, predicted) ** 0.5,
            "mae": mean_absolute_error(y_test, predicted),
            "r2": r2_score(y_test, predicted),
        }
        runstream.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.pkl"
            path.write_bytes(pickle.dumps(model))
            runstream.log_artifact(path, artifact_path="model")

    print(
        f"alpha={args.alpha} l1_ratio={args.l1_ratio} "
        + " ".join(f"{key}={value:.4f}" for key, value in metrics.items())
    )
    print(f"run_id: {run.info.run_id}")


if __name__ == "__main__":
    main()
