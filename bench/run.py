"""``make bench``: runstream and ``mlflow server`` (sqlite) measured side by side.

Each figure is the median of repeated runs; the ratio against MLflow in the same
run is the figure that counts, because this machine is shared and noisy.
Writes the table to docs/benchmarks.md with the machine, date and versions.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import mlflow_peer, runstream_side, servers  # noqa: E402
from bench.null_mlflow import null_mlflow_server  # noqa: E402
from bench.report import Row, render  # noqa: E402

FULL = {"single": 200_000, "batches": 1_000_000, "one_run": 1_000_000,
        "long": 1_000_000, "fresh_s": 10, "search_runs": 10_000,
        "mlflow_single": 500, "mlflow_batches": 50_000, "mlflow_history": 100_000,
        "mlflow_search_runs": 1_000, "memory_points": 10_000_000,
        "repeats": 3}  # fmt: skip
QUICK = {"single": 20_000, "batches": 100_000, "one_run": 100_000,
         "long": 100_000, "fresh_s": 3, "search_runs": 500,
         "mlflow_single": 100, "mlflow_batches": 5_000, "mlflow_history": 5_000,
         "mlflow_search_runs": 100, "memory_points": 1_000_000,
         "repeats": 1}  # fmt: skip


def median(repeats: int, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Each figure's median over ``repeats`` runs of ``measure``."""
    runs = [measure() for _ in range(repeats)]
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def measure_runstream(sizes: dict[str, int]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    r = sizes["repeats"]
    with runstream_side.runstream_server() as server:
        out.update(measure_logging(server, sizes))
        run_id = runstream_side.long_metric(server, sizes["long"])
        out["reading"] = runstream_side.reading(server, run_id, repeats=5)
        out["freshness"] = runstream_side.freshness(server, sizes["fresh_s"], 100_000)
        out["search"] = runstream_side.search(server, sizes["search_runs"], 5)
        out["replay"] = runstream_side.replay(server)
        # The official mlflow client, unchanged, against runstream's MLflow API.
        python = mlflow_peer.ensure_venv()
        out["mlflow_client"] = median(
            r,
            lambda: mlflow_peer.run_workload(
                python, server.url, "batches", n=sizes["mlflow_batches"]
            ),
        )
    with null_mlflow_server() as url:
        out["mlflow_client_ceiling"] = median(
            r,
            lambda: mlflow_peer.run_workload(
                python, url, "batches", n=sizes["mlflow_batches"]
            ),
        )
    # A bound, so the worst of the repeats counts, not their median: the peak
    # varies by tens of MB with where the sender stood when the buffer filled.
    memory = [runstream_side.sdk_memory(sizes["memory_points"]) for _ in range(r)]
    out["memory"] = max(memory, key=lambda m: m["peak_mb"])
    return out


def measure_logging(
    server: runstream_side.Server, sizes: dict[str, int]
) -> dict[str, dict[str, float]]:
    """log_metric, log_metrics and one run logged to queryable, into ``server``'s
    log."""
    r = sizes["repeats"]
    return {
        "single": median(r, lambda: runstream_side.single(sizes["single"])),
        "call_times": median(r, lambda: runstream_side.call_times(sizes["single"])),
        "batches": median(r, lambda: runstream_side.batches(sizes["batches"])),
        "one_run": median(
            r, lambda: runstream_side.one_run_end_to_end(server, sizes["one_run"])
        ),
    }


def measure_kafka(sizes: dict[str, int]) -> dict[str, dict[str, float]]:
    """The logging workloads again with a real Kafka broker as the log: the SDK
    produces to it and the server's consumer projects from it."""
    with servers.kafka_broker() as address:
        with runstream_side.runstream_server(f"kafka://{address}") as server:
            out = measure_logging(server, sizes)
            out["freshness"] = runstream_side.freshness(
                server, sizes["fresh_s"], 100_000
            )
    return out


def logging_rows(
    side: dict[str, dict[str, float]],
    ml: dict[str, dict[str, float]],
    sizes: dict[str, int],
    label: str = "",
    one_run_note: str = "",
) -> list[Row]:
    """The rows of ``measure_logging``'s figures, each beside MLflow's."""
    return [
        Row(
            f"{label}log_metric, one point per call (points/s)",
            side["single"]["points_per_s"],
            ml["single"]["points_per_s"],
            higher_is_better=True,
            target=200_000,
        ),
        Row(
            f"{label}log_metric, time one call blocks the caller, p99 (µs)",
            side["call_times"]["p99_us"],
            ml["single"]["p99_us"],
            higher_is_better=False,
            target=100,
            note=f"p50 {side['call_times']['p50_us']:.1f} µs, p99.9 "
            f"{side['call_times']['p999_us']:,.0f} µs, slowest "
            f"{side['call_times']['max_us']:,.0f} µs; MLflow's calls wait for "
            "the server",
        ),
        Row(
            f"{label}log_metrics batches (points/s)",
            side["batches"]["points_per_s"],
            ml["batches"]["points_per_s"],
            higher_is_better=True,
            target=1_000_000,
        ),
        Row(
            f"{label}{sizes['one_run']:,} points in one run, logged to queryable "
            "(points/s)",
            side["one_run"]["points_per_s"],
            ml["batches"]["points_per_s"],
            higher_is_better=True,
            target=500_000,
            note=one_run_note,
        ),
    ]


def kafka_rows(
    kf: dict[str, dict[str, float]],
    ml: dict[str, dict[str, float]],
    sizes: dict[str, int],
) -> list[Row]:
    note = "produced to the broker, consumed and projected by the server"
    freshness = Row(
        "Kafka: freshness p99 (s)",
        kf["freshness"]["p99_s"],
        ml["freshness"]["p99_s"],
        higher_is_better=False,
        target=2.0,
        note=f"p50 {kf['freshness']['p50_s']:.3f} s at "
        f"{kf['freshness']['achieved_points_per_s']:,.0f} points/s",
    )
    return [*logging_rows(kf, ml, sizes, "Kafka: ", note), freshness]


def measure_mlflow(sizes: dict[str, int]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    r = sizes["repeats"]
    with mlflow_peer.mlflow_server() as (python, url):

        def peer(name: str, n: int) -> dict[str, float]:
            return mlflow_peer.run_workload(python, url, name, n=n)

        out["single"] = median(r, lambda: peer("single", sizes["mlflow_single"]))
        out["batches"] = median(r, lambda: peer("batches", sizes["mlflow_batches"]))
        out["history"] = peer("history", sizes["mlflow_history"])
        out["freshness"] = peer("freshness", sizes["fresh_s"])
        out["search"] = peer("search", sizes["mlflow_search_runs"])
    return out


def rows(rs: dict[str, dict[str, float]], ml: dict[str, dict[str, float]],
         sizes: dict[str, int]) -> list[Row]:  # fmt: skip
    embedded = logging_rows(
        rs,
        ml,
        sizes,
        one_run_note="MLflow: its log_batch rate; it has no separate projection",
    )
    return [
        *embedded,
        Row(
            "mlflow client log_batch of 1,000 (points/s)",
            rs["mlflow_client"]["points_per_s"],
            ml["batches"]["points_per_s"],
            higher_is_better=True,
            note="one unchanged client script, against runstream's MLflow REST API "
            "and against mlflow server; against a server that keeps nothing and "
            "answers at once it reaches "
            f"{rs['mlflow_client_ceiling']['points_per_s']:,.0f}, its own ceiling",
        ),
        Row(
            "freshness p50 (s)",
            rs["freshness"]["p50_s"],
            ml["freshness"]["p50_s"],
            higher_is_better=False,
            note=f"runstream at {rs['freshness']['achieved_points_per_s']:,.0f} "
            "points/s; MLflow one synchronous point at a time",
        ),
        Row(
            "freshness p99 (s)",
            rs["freshness"]["p99_s"],
            ml["freshness"]["p99_s"],
            higher_is_better=False,
            target=2.0,
        ),
        Row(
            f"one metric of {rs['reading']['total_points']:,.0f} points "
            "downsampled to 1,000 (s)",
            rs["reading"]["downsample_s"],
            ml["history"]["full_history_s"],
            higher_is_better=False,
            target=0.1,
            note=f"MLflow: get_metric_history of {ml['history']['points']:,.0f} "
            "points (it has no server-side downsampling)",
        ),
        Row(
            "full history export (s)",
            rs["reading"]["export_s"],
            ml["history"]["full_history_s"],
            higher_is_better=False,
            note=f"runstream: Parquet of {rs['reading']['total_points']:,.0f} "
            f"points; MLflow: {ml['history']['points']:,.0f} points",
        ),
        Row(
            f"search, filter over {sizes['search_runs']:,} runs (s)",
            rs["search"]["search_s"],
            ml["search"]["search_s"],
            higher_is_better=False,
            target=0.2,
            note=f"MLflow over {sizes['mlflow_search_runs']:,} runs",
        ),
        Row(
            "replay, rebuilding all projections (points/s)",
            rs["replay"]["points_per_s"],
            None,
            higher_is_better=True,
            target=500_000,
            note=f"{rs['replay']['events_per_s']:,.0f} events/s over "
            f"{rs['replay']['points']:,.0f} points; MLflow has no replay",
        ),
        Row(
            f"SDK peak memory, {sizes['memory_points']:,} points with the log "
            "down (MB)",
            rs["memory"]["peak_mb"],
            None,
            higher_is_better=False,
            target=256,
            note=f"the largest of {sizes['repeats']} runs; "
            f"{rs['memory']['spilled_mb']:,.0f} MB spilled to disk; MLflow's "
            "client fails instead of buffering",
        ),
    ]


def environment() -> list[str]:
    import clickhouse_connect
    import fastavro

    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}",
        f"python: {platform.python_version()}",
        f"runstream: {__import__('runstream').__version__}; "
        f"clickhouse-connect {clickhouse_connect.__version__}; "
        f"fastavro {fastavro.__version__}",
        f"peer: mlflow {mlflow_peer.MLFLOW_VERSION} server, sqlite backend",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL

    print("measuring runstream ...", flush=True)
    rs = measure_runstream(sizes)
    kf = None
    kafka_missing = servers.missing("kafka")
    if kafka_missing is None:
        print("measuring runstream through Kafka ...", flush=True)
        kf = measure_kafka(sizes)
    else:
        print(f"skipping the Kafka rows: {kafka_missing}", flush=True)
    print("measuring mlflow server ...", flush=True)
    ml = measure_mlflow(sizes)
    table = rows(rs, ml, sizes)
    if kf is not None:
        table += kafka_rows(kf, ml, sizes)
    text = render(table, environment())
    print(text)
    if not args.quick:
        args.output.write_text(text)
        print(f"written to {args.output}")


if __name__ == "__main__":
    main()
