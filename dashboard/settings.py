"""The dashboard's settings, read from ``RUNSTREAM_*`` variables in one place.

Where the API lives is shared with the other components
(``RUNSTREAM_API_URL`` in ``runstream.settings``); the knobs below only concern how
the dashboard draws and refreshes.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from runstream.settings import load_settings


class DashboardSettings(BaseSettings):
    """One frozen settings object; see each field for its variable."""

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
