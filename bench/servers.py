"""Real servers for development, tests and the benchmark: Apache Kafka and MinIO,
started and stopped on free loopback ports by deploy/dev/*.sh (``make servers``
provisions them into .cache/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "deploy" / "dev"
CACHE = Path(os.environ.get("RUNSTREAM_DEV_CACHE", ROOT / ".cache"))
MINIO_USER = "runstream"
MINIO_PASSWORD = "runstream-test-secret"


def missing(kind: str) -> str | None:
    """Why ``kind`` cannot start here, or None if it can."""
    if kind == "kafka":
        if shutil.which("java") is None:
            return "Java is not installed (apt-get install -y default-jre-headless)"
        if not (CACHE / "kafka" / "libs" / ".complete").exists():
            return "Kafka is not provisioned: run `make servers`"
        return None
    if not list((CACHE / "minio").glob("*/minio")):
        return "MinIO is not provisioned: run `make servers` (needs Go)"
    return None


@dataclass
class Server:
    """One server process, started and stopped by its deploy/dev script."""

    kind: str
    folder: Path
    address: str = ""

    def _script(self, action: str) -> str:
        env = {**os.environ, "RUNSTREAM_DEV_CACHE": str(CACHE)}
        if self.kind == "minio":
            env |= {
                "MINIO_ROOT_USER": MINIO_USER,
                "MINIO_ROOT_PASSWORD": MINIO_PASSWORD,
            }
        done = subprocess.run(
            ["bash", str(SCRIPTS / f"{self.kind}.sh"), action, str(self.folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{self.kind}.sh {action} failed ({done.returncode}):\n{done.stderr}"
            )
        return done.stdout.strip()

    def start(self) -> Server:
        self.address = self._script("start").splitlines()[-1]
        return self

    def stop(self) -> None:
        self._script("stop")


@contextmanager
def kafka_broker() -> Iterator[str]:
    """A fresh single-node broker in a temporary folder; yields its address."""
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as folder:
        broker = Server("kafka", Path(folder)).start()
        try:
            yield broker.address
        finally:
            broker.stop()
