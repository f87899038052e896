"""Load and soak tests drive the deployment with ``bench.load``'s writers and
readers, which live beside the benchmarks so ``make soak`` can use them too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# bench/ is a folder of the repository, not part of the installed package.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def load_artifacts() -> Path:
    """Where the tests leave their measured rates and reports."""
    base = Path(os.environ.get("RUNSTREAM_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    folder = base / "load"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
