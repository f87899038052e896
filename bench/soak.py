"""``make soak``: a `runstream server` (API and consumer in one process, the
embedded default) under steady load for ``--minutes`` (10 unless given), watching
every process's memory.

SDK writer processes log their own runs at a fixed rate and dashboard-like
readers poll runs and downsampled series the whole time. Every few seconds the
resident set size (RSS) of each process is sampled. At the end the writers'
tallies are checked against the query API, and a table per process gives the
RSS after warm-up, at the end, the slope (least squares over the samples after
warm-up) and a verdict: ``flat`` when the growth after warm-up stays under
``--max-growth-mb`` or ``--max-growth-pct`` of the start, ``growing`` otherwise.

The exit status is 1 when a process grew, a point was lost or a reader or writer
saw an error. The report goes to ``test-artifacts/soak/report.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import free_port, wait_until  # noqa: E402
from bench.load import read_tallies, spawn, unaccounted  # noqa: E402

logger = logging.getLogger(__name__)

MB = 2**20


@dataclass(frozen=True)
class SoakConfig:
    minutes: float = 10.0
    writers: int = 3  # SDK writer processes
    threads: int = 2  # runs per writer process
    rate: float = 2_000.0  # points/s per run
    readers: int = 4  # dashboards polling the API
    sample_s: float = 5.0
    warmup_fraction: float = 0.2  # of the run, at least one minute when it is long
    max_growth_mb: float = 10.0
    max_growth_pct: float = 5.0


@dataclass
class ProcessMemory:
    name: str
    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)  # (s, MB)
    start_mb: float = 0.0
    end_mb: float = 0.0
    peak_mb: float = 0.0
    growth_mb: float = 0.0
    slope_mb_per_min: float = 0.0
    verdict: str = "no samples"


@dataclass
class SoakReport:
    config: SoakConfig
    seconds: float
    processes: list[ProcessMemory]
    points: int
    params: int
    points_per_s: float
    reads: int
    slowest_read_s: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and all(p.verdict == "flat" for p in self.processes)


def soak(config: SoakConfig, out: Path) -> SoakReport:
    """Run the soak; write ``report.json`` and ``report.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    seconds = config.minutes * 60
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        home = Path(folder)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"RUNSTREAM_HOME": folder}
        server = subprocess.Popen(
            [sys.executable, "-m", "runstream.cli", "server",
             "--port", str(port), "--no-dashboard"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=open(home / "server.log", "wb"),  # noqa: SIM115
        )  # fmt: skip
        children: list[subprocess.Popen[bytes]] = []
        try:
            wait_until(lambda: _answers(url), 120, "runstream server start")
            started = time.monotonic()
            named = {"server": server}
            for i in range(config.writers):
                named[f"sdk-writer-{i}"] = spawn(
                    "sdk", home / f"sdk-{i}.json",
                    "--threads", str(config.threads),
                    "--rate", str(config.rate),
                    "--seconds", str(seconds),
                    "--prefix", f"soak-{i}",
                    # The server's embedded log, under the same home.
                    env={**env, "RUNSTREAM_TRACKING_URI": str(home / "log.sqlite")},
                )  # fmt: skip
            named["api-readers"] = spawn(
                "read", home / "reads.json",
                "--url", url, "--readers", str(config.readers),
                "--seconds", str(seconds),
            )  # fmt: skip
            children = [p for name, p in named.items() if name != "server"]
            memory = _watch(named, config, started)
            problems = [
                f"{name} exited with {p.returncode}"
                for name, p in named.items()
                if name != "server" and p.returncode != 0
            ]
            report = _check(home, url, config, memory, problems, started)
        finally:
            for process in [*children, server]:
                _stop(process)
            (out / "server.log").write_bytes((home / "server.log").read_bytes())
    _write(report, out)
    return report


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _watch(
    named: dict[str, subprocess.Popen[bytes]], config: SoakConfig, started: float
) -> list[ProcessMemory]:
    """Sample every process's RSS until the writers and readers have exited."""
    memory = {
        name: (psutil.Process(p.pid), ProcessMemory(name, p.pid))
        for name, p in named.items()
    }
    while True:
        now = time.monotonic() - started
        for name, (process, record) in memory.items():
            if named[name].poll() is None:
                try:
                    record.samples.append((now, process.memory_info().rss / MB))
                except psutil.Error:
                    pass  # it exited between poll() and the sample
        load = [p for name, p in named.items() if name != "server"]
        if all(p.poll() is not None for p in load):
            break
        time.sleep(config.sample_s)
    for _, record in memory.values():
        judge(record, config, now)
    return [record for _, record in memory.values()]


def judge(record: ProcessMemory, config: SoakConfig, seconds: float) -> None:
    """Start, end, slope and verdict from the samples after warm-up."""
    warmup = config.warmup_fraction * seconds
    if seconds > 300:
        warmup = max(warmup, 60.0)
    # A writer samples until it finishes flushing; its last seconds are the flush.
    after = [(t, mb) for t, mb in record.samples if t >= warmup]
    if len(after) < 3:
        return
    record.peak_mb = max(mb for _, mb in record.samples)
    # A few samples at each end, so one short spike does not decide the verdict.
    edge = max(1, len(after) // 10)
    record.start_mb = statistics.median(mb for _, mb in after[:edge])
    record.end_mb = statistics.median(mb for _, mb in after[-edge:])
    record.growth_mb = record.end_mb - record.start_mb
    times = [t for t, _ in after]
    sizes = [mb for _, mb in after]
    slope_per_s = statistics.linear_regression(times, sizes).slope
    record.slope_mb_per_min = slope_per_s * 60
    allowed = max(config.max_growth_mb, record.start_mb * config.max_growth_pct / 100)
    record.verdict = "flat" if record.growth_mb < allowed else "growing"


def _check(
    home: Path,
    url: str,
    config: SoakConfig,
    memory: list[ProcessMemory],
    problems: list[str],
    started: float,
) -> SoakReport:
    tallies = [
        t
        for i in range(config.writers)
        if (home / f"sdk-{i}.json").exists()
        for t in read_tallies(home / f"sdk-{i}.json")
    ]
    problems += [f"{t.writer}: {e}" for t in tallies for e in t.errors]
    reads = json.loads((home / "reads.json").read_text())
    problems += [f"reader: {e}" for e in reads["errors"][:20]]
    wait_until(lambda: _caught_up(url), 600, "projection caught up")
    problems += unaccounted(url, tallies)
    seconds = time.monotonic() - started
    points = sum(t.total_points for t in tallies)
    return SoakReport(
        config=config,
        seconds=seconds,
        processes=memory,
        points=points,
        params=sum(t.params for t in tallies),
        points_per_s=points / (config.minutes * 60),
        reads=reads["requests"],
        slowest_read_s=reads["slowest_s"],
        problems=problems,
    )


def _caught_up(url: str) -> bool:
    try:
        return bool(
            httpx.get(f"{url}/api/v1/health", timeout=30).json()["total_lag"] == 0
        )
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def table(report: SoakReport) -> str:
    """The per-process memory table, as Markdown."""
    lines = [
        "| process | start RSS (MB) | end RSS (MB) | peak (MB) | growth (MB) "
        "| slope (MB/min) | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for p in report.processes:
        lines.append(
            f"| {p.name} | {p.start_mb:.1f} | {p.end_mb:.1f} | {p.peak_mb:.1f} "
            f"| {p.growth_mb:+.1f} | {p.slope_mb_per_min:+.2f} | {p.verdict} |"
        )
    return "\n".join(lines)


def _write(report: SoakReport, out: Path) -> None:
    found = asdict(report)
    found["ok"] = report.ok
    for process in found["processes"]:
        process.pop("samples")  # in samples.json, to keep the report readable
    (out / "report.json").write_text(json.dumps(found, indent=2))
    samples = {p.name: p.samples for p in report.processes}
    (out / "samples.json").write_text(json.dumps(samples))
    c = report.config
    summary = [
        f"# Soak: {c.minutes:g} min, {c.writers} SDK writer processes x "
        f"{c.threads} runs at {c.rate:g} points/s, {c.readers} API readers",
        "",
        f"- points accepted: {report.points:,} ({report.points_per_s:,.0f}/s), "
        f"params: {report.params:,}",
        f"- reads: {report.reads:,}, slowest {report.slowest_read_s:.2f} s",
        f"- problems: {len(report.problems)}"
        + "".join(f"\n  - {p}" for p in report.problems[:20]),
        f"- verdict: {'ok' if report.ok else 'FAILED'}",
        "",
        table(report),
        "",
    ]
    (out / "report.md").write_text("\n".join(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = SoakConfig()
    parser.add_argument("--minutes", type=float, default=defaults.minutes)
    parser.add_argument("--writers", type=int, default=defaults.writers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--rate", type=float, default=defaults.rate)
    parser.add_argument("--readers", type=int, default=defaults.readers)
    parser.add_argument("--sample-s", type=float, default=defaults.sample_s)
    parser.add_argument("--max-growth-mb", type=float, default=defaults.max_growth_mb)
    parser.add_argument("--max-growth-pct", type=float, default=defaults.max_growth_pct)
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "soak")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request
    config = SoakConfig(
        minutes=args.minutes,
        writers=args.writers,
        threads=args.threads,
        rate=args.rate,
        readers=args.readers,
        sample_s=args.sample_s,
        max_growth_mb=args.max_growth_mb,
        max_growth_pct=args.max_growth_pct,
    )
    report = soak(config, args.out)
    print((args.out / "report.md").read_text())
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
