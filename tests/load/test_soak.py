"""The soak (``make soak``, bench/soak.py) in a short form: a `runstream server`,
SDK writer processes and API readers for a minute, every process's memory
sampled. Nothing may be lost and no process may keep growing after warm-up; the
threshold is looser than the 10-minute soak's, as a short run is mostly warm-up.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import pytest

from bench.soak import ProcessMemory, SoakConfig, judge, soak, table
from runstream.allocator import limit_malloc_arenas

logger = logging.getLogger(__name__)

CI_SOAK = SoakConfig(
    minutes=1.0,
    writers=2,
    threads=2,
    rate=1_000,
    readers=2,
    sample_s=2.0,
    # The server's first half-minute is chDB and the tables warming up.
    warmup_fraction=0.4,
    max_growth_mb=50.0,
    max_growth_pct=10.0,
)


def test_a_short_soak_loses_nothing_and_stays_flat(load_artifacts: Path) -> None:
    report = soak(CI_SOAK, load_artifacts / "soak")
    logger.info("soak memory\n%s", table(report))
    assert report.problems == []
    assert report.points > 0 and report.reads > 0
    assert all(p.verdict == "flat" for p in report.processes), table(report)


def test_the_verdict_tells_a_leak_from_warm_up() -> None:
    config = SoakConfig(minutes=10, max_growth_mb=10, max_growth_pct=5)
    seconds = 600.0

    warming = ProcessMemory("warming", 1)
    # Grows by 300 MB in the first minute, then holds steady within a few MB.
    warming.samples = [(t, min(t, 60) * 5 + 100 + (t % 3)) for t in range(0, 600, 5)]
    judge(warming, config, seconds)
    assert warming.verdict == "flat"
    assert abs(warming.slope_mb_per_min) < 1

    leaking = ProcessMemory("leaking", 2)
    # 3 MB a minute: 24 MB over the eight minutes after warm-up.
    leaking.samples = [(t, 200 + t / 20) for t in range(0, 600, 5)]
    judge(leaking, config, seconds)
    assert leaking.verdict == "growing"
    assert round(leaking.slope_mb_per_min, 1) == 3.0


def test_servers_cap_mallocs_arenas_unless_the_operator_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the cap the server's memory crept up ~4 MB/min in the 10-min soak.
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is (platform.libc_ver()[0] == "glibc")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
