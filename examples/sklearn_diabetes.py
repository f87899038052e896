"""Train a random forest on the diabetes data with scikit-learn autologging.

    python examples/sklearn_diabetes.py [--experiment NAME]

``runstream.autolog()`` logs the forest's params, training metrics and the pickled
model; no run is started by hand, so the fit starts one and ends it. Set
RUNSTREAM_TRACKING_URI (or RUNSTREAM_HOME) to choose where the events go.
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split

import runstream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="diabetes", help="experiment name")
    args = parser.parse_args()

    runstream.set_experiment(args.experiment)
    runstream.autolog()

    db = load_diabetes()
    X_train, X_test, y_train, y_test = train_test_split(db.data, db.target)
    rf = RandomForestRegressor(n_estimators=100, max_depth=6, max_features=3)
    rf.fit(X_train, y_train)
    predictions = rf.predict(X_test)

    print(f"test predictions: {len(predictions)}")
    last = runstream.last_active_run()
    print(f"run_id: {last.info.run_id if last else None}")


if __name__ == "__main__":
    main()
