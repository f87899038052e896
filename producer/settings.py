"""Settings for every component, read from ``RUNSTREAM_*`` variables in one place.

With nothing set, everything lives under one local directory, ``RUNSTREAM_HOME``
(default ``./.runstream``): the SQLite event log, the chDB data and the artifacts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".runstream")


class Settings(BaseSettings):
    """One frozen settings object; see each field for its variable."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_", frozen=True)

    home: Path = DEFAULT_HOME
    """RUNSTREAM_HOME: where embedded data lives."""

    tracking_uri: str = ""
    """RUNSTREAM_TRACKING_URI: where the SDK writes; a local path means the
    embedded SQLite log. Empty means ``<home>/log.sqlite``."""

    clickhouse: str = ""
    """RUNSTREAM_CLICKHOUSE: ``chdb:///path``; empty means ``chdb://<home>/chdb``."""

    clickhouse_database: str = "runstream"
    """RUNSTREAM_CLICKHOUSE_DATABASE: the database holding the projections."""

    artifacts: str = ""
    """RUNSTREAM_ARTIFACTS: ``file:///path``; empty means ``<home>/artifacts``."""

    partitions: int = 8
    """RUNSTREAM_PARTITIONS: partitions per topic of the embedded log."""

    api_url: str = "http://127.0.0.1:5000"
    """RUNSTREAM_API_URL: where the dashboard finds the query API."""

    dashboard_url: str = "http://127.0.0.1:8501"
    """RUNSTREAM_DASHBOARD_URL: where ``GET /`` of the API redirects."""

    flush_interval_s: float = 0.2
    """RUNSTREAM_FLUSH_INTERVAL_S: how often the SDK's sender thread sends."""

    max_buffer_points: int = 2_000_000
    """RUNSTREAM_MAX_BUFFER_POINTS: metric points the SDK holds in memory before a
    logging call waits for the sender."""

    consumer_group: str = "runstream-projections"
    """RUNSTREAM_CONSUMER_GROUP: the consumer group the projections commit under."""

    def log_location(self) -> str:
        return self.tracking_uri or str(self.home / "log.sqlite")

    def clickhouse_location(self) -> str:
        return self.clickhouse or f"chdb://{(self.home / 'chdb').resolve()}"

    def artifacts_location(self) -> str:
        if self.artifacts:
            return self.artifacts
        # Beside a local log by default, so a log and its large artifacts (those
        # too big to travel inside events) stay together when the log is moved.
        log = self.log_location()
        if "://" not in log or log.startswith("file://"):
            root = Path(log.removeprefix("file://")).parent
        else:
            root = self.home
        return f"file://{(root / 'artifacts').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Read the environment now; keyword arguments override single fields."""
    return Settings(**overrides)  # type: ignore[arg-type]


class DashboardSettings(BaseSettings):
    """How the dashboard draws and refreshes; where the API lives is shared with
    the other components (RUNSTREAM_API_URL)."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_DASHBOARD_", frozen=True)

    api_url: str = ""
    """Where the query API lives; ``load_dashboard_settings`` fills it from
    RUNSTREAM_API_URL, the variable every component shares."""

    refresh_s: float = Field(default=2.0, gt=0)
    """RUNSTREAM_DASHBOARD_REFRESH_S: how often a RUNNING run's page refreshes."""

    health_refresh_s: float = Field(default=10.0, gt=0)
    """RUNSTREAM_DASHBOARD_HEALTH_REFRESH_S: how often the sidebar's health panel
    refreshes."""

    max_points: int = Field(default=1000, ge=10)
    """RUNSTREAM_DASHBOARD_MAX_POINTS: points asked for per chart; the API
    downsamples longer series to this many."""

    default_charts: int = Field(default=12, ge=1)
    """RUNSTREAM_DASHBOARD_DEFAULT_CHARTS: metric keys charted before the user
    picks; a run with hundreds of keys would otherwise draw hundreds of charts."""

    timeout_s: float = Field(default=5.0, gt=0)
    """RUNSTREAM_DASHBOARD_TIMEOUT_S: how long one API request may take."""


def load_dashboard_settings() -> DashboardSettings:
    """Read the environment now."""
    api_url = load_settings().api_url.rstrip("/")
    return DashboardSettings(api_url=api_url)
