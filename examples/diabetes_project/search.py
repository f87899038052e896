"""Cross-validate an elastic net over several alphas; log each fold's score as a
step of ``cv_r2`` and the best alpha as a metric."""

from __future__ import annotations

import argparse

from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet
from sklearn.model_selection import cross_val_score

import runstream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alphas", default="0.0001,0.001,0.01,0.1")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    alphas = [float(text) for text in args.alphas.split(",") if text.strip()]

    data = load_diabetes()
    with runstream.start_run() as run:
        best_alpha, best_score = alphas[0], float("-inf")
        for step, alpha in enumerate(alphas):
            scores = cross_val_score(
                ElasticNet(alpha=alpha), data.data, data.target, cv=args.folds
            )
            runstream.log_metric("cv_r2", float(scores.mean()), step=step)
            if scores.mean() > best_score:
                best_alpha, best_score = alpha, float(scores.mean())
        runstream.log_metrics({"best_alpha": best_alpha, "best_cv_r2": best_score})

    print(f"best alpha={best_alpha} cv_r2={best_score:.4f}")
    print(f"run_id: {run.info.run_id}")


if __name__ == "__main__":
    main()
