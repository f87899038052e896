"""Print, as one JSON line, what a chDB folder holds for some runs.

Usage: inspect_store.py CHDB_PATH DATABASE RUN_ID...
"""

from __future__ import annotations

import json
import sys

import clickhouse_connect


def main(path: str, database: str, run_ids: list[str]) -> None:
    client = clickhouse_connect.get_client(interface="chdb", path=path)
    found = {}
    for run_id in run_ids:
        points = client.query(
            f"SELECT count() AS n, sum(value) AS total FROM {database}.metrics FINAL "
            "WHERE run_id = {run:String}",
            parameters={"run": run_id},
        ).first_row
        raw = client.query(
            f"SELECT count() FROM {database}.metrics WHERE run_id = {{run:String}}",
            parameters={"run": run_id},
        ).first_row
        params = client.query(
            f"SELECT count() FROM {database}.params FINAL "
            "WHERE run_id = {run:String}",
            parameters={"run": run_id},
        ).first_row
        status = client.query(
            f"SELECT status FROM {database}.runs FINAL WHERE run_id = {{run:String}}",
            parameters={"run": run_id},
        ).result_rows
        found[run_id] = {
            "points": points[0],
            "sum": points[1],
            "raw_rows": raw[0],
            "params": params[0],
            "status": status[0][0] if status else None,
        }
    client.close()
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
