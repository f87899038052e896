"""A real Apache Kafka broker for the benchmark's Kafka rows, started and stopped
by deploy/dev/kafka.sh on a free loopback port (``make servers`` provisions it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "dev" / "kafka.sh"
CACHE = Path(os.environ.get("RUNSTREAM_DEV_CACHE", ROOT / ".cache"))


def missing() -> str | None:
    """Why no broker can start here, or None if one can."""
    if shutil.which("java") is None:
        return "Java is not installed"
    if not (CACHE / "kafka" / "libs" / ".complete").exists():
        return "Kafka is not provisioned (run `make servers`)"
    return None


@contextmanager
def kafka_broker() -> Iterator[str]:
    """A fresh single-node broker; yields its bootstrap address."""
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as folder:
        address = _script("start", folder).splitlines()[-1]
        try:
            yield address
        finally:
            _script("stop", folder)


def _script(action: str, folder: str) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT), action, folder],
        env={**os.environ, "RUNSTREAM_DEV_CACHE": str(CACHE)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kafka.sh {action} failed: {done.stderr.strip()}")
    return done.stdout.strip()
