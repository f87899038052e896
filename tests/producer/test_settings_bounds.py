"""Numeric SDK settings that would break the sender are refused when read, not
found out later as a hang or as events no consumer reads."""

from __future__ import annotations

import pytest

from runstream.settings import load_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        # 0 divided by zero in the sender thread; -2 wrote to partition -2.
        ("RUNSTREAM_PARTITIONS", "0"),
        ("RUNSTREAM_PARTITIONS", "-2"),
        # 0 spins the sender thread; 0 points made every logging call wait 60 s.
        ("RUNSTREAM_FLUSH_INTERVAL_S", "0"),
        ("RUNSTREAM_MAX_BUFFER_POINTS", "0"),
    ],
)
def test_values_that_would_break_the_sdk_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    # ValueError: pydantic's ValidationError, or InvalidInputError once translated.
    with pytest.raises(ValueError, match=f"(?i){variable.removeprefix('RUNSTREAM_')}"):
        load_settings()


def test_the_defaults_and_the_smallest_working_values_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNSTREAM_PARTITIONS", "1")
    assert load_settings().partitions == 1
    monkeypatch.delenv("RUNSTREAM_PARTITIONS")
    assert load_settings().partitions == 8
