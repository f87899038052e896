"""A bad RUNSTREAM_* value fails with one line naming the variable, the value and
what it should be, wherever settings are read; secrets are never echoed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from runstream import settings
from runstream.context import State
from runstream.errors import InvalidInputError


@pytest.mark.parametrize(
    ("variable", "value", "load", "expected"),
    [
        ("RUNSTREAM_FLUSH_INTERVAL_S", "abc", settings.load_settings, "a valid number"),
        ("RUNSTREAM_PARTITIONS", "abc", settings.load_settings, "a valid integer"),
        ("RUNSTREAM_API_MAX_BODY_BYTES", "1MB", settings.load_api_settings, "integer"),
        ("RUNSTREAM_KAFKA_LINGER_MS", "soon", settings.load_kafka_settings, "integer"),
        ("RUNSTREAM_S3_SECURE", "maybe", settings.load_s3_settings, "boolean"),
        (
            "RUNSTREAM_CLICKHOUSE_VERIFY",
            "perhaps",
            settings.load_clickhouse_settings,
            "boolean",
        ),
        (
            "RUNSTREAM_DASHBOARD_REFRESH_S",
            "fast",
            settings.load_dashboard_settings,
            "a valid number",
        ),
    ],
)
def test_bad_value_names_the_variable_the_value_and_what_fits(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    load: Callable[[], object],
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInputError) as raised:
        load()
    message = str(raised.value)
    assert "\n" not in message
    assert f"{variable}={value!r}" in message
    assert expected in message
    assert f"Set {variable} to such a value, or unset it" in message


def test_secret_values_are_never_echoed() -> None:
    with pytest.raises(InvalidInputError) as token:
        settings.read_settings(settings.Settings, token=["hunter2-secret"])
    with pytest.raises(InvalidInputError) as password:
        settings.read_settings(settings.ClickHouseSettings, password=["hunter2-secret"])
    for raised in (token, password):
        assert "hunter2" not in str(raised.value)
        assert "(value hidden)" in str(raised.value)
    assert "RUNSTREAM_TOKEN=" in str(token.value)
    assert "RUNSTREAM_CLICKHOUSE_PASSWORD=" in str(password.value)


def test_sdk_reads_settings_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNSTREAM_FLUSH_INTERVAL_S", "abc")
    fresh = State()  # what `import runstream` makes: must not fail yet
    with pytest.raises(InvalidInputError, match="RUNSTREAM_FLUSH_INTERVAL_S"):
        fresh.settings  # noqa: B018 - reading it is the point


def test_import_survives_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNSTREAM_PARTITIONS", "abc")
    imported = subprocess.run(
        [sys.executable, "-c", "import runstream"], capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr


def test_a_valid_token_still_reads_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNSTREAM_TOKEN", "abc")
    token = settings.load_settings().token
    assert isinstance(token, SecretStr) and token.get_secret_value() == "abc"
