"""The dashboard's only way to the data: a small client for the query API.

    ApiError              root of what this module raises (a RunstreamError)
    ├── ApiUnavailableError   the API could not be reached, or did not answer in time
    └── ApiRequestError       the API answered with an error status; carries it

Pages catch these and show their message instead of a traceback.
"""

from __future__ import annotations

import logging
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx
from pydantic import SecretStr

from runstream.auth import bearer_headers
from runstream.errors import RunstreamError

logger = logging.getLogger(__name__)

XAxis = Literal["step", "timestamp"]

API_PREFIX = "/api/v1"


class ApiError(RunstreamError):
    """A request to the query API failed."""


class ApiUnavailableError(ApiError):
    """The query API could not be reached or did not answer in time."""


class ApiRequestError(ApiError):
    """The query API answered with an error status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ApiClient:
    """Typed-enough access to ``/api/v1``; every method returns the decoded JSON.

    One instance holds one connection pool and is safe to share between threads,
    which lets a page fetch several metric series at once.
    """

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 5.0,
        *,
        state: str | None = None,
        http: httpx.Client | None = None,
        token: SecretStr | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.state = state
        """A replayed state to read instead of the live projections."""
        self._token = token
        # Connecting should fail fast so that a stopped API shows up as a message
        # at once; reading may take longer for big metric series.
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0))
        self._http = http or httpx.Client(
            base_url=self.base_url, timeout=timeout, headers=bearer_headers(token)
        )

    def for_state(self, state: str | None) -> ApiClient:
        """This client reading ``state`` (None: the live one), on the same pool."""
        return ApiClient(
            self.base_url, state=state or None, http=self._http, token=self._token
        )

    @property
    def authenticated(self) -> bool:
        """Whether this client sends a token: a browser following a plain link
        to the API would not, so downloads must then go through this client."""
        return self._token is not None

    def close(self) -> None:
        self._http.close()

    def health(self) -> dict[str, Any]:
        """The health report; a degraded API answers 503 with the same report."""
        return self._get(API_PREFIX + "/health", also_ok={503}).json()

    def experiments(self) -> list[dict[str, Any]]:
        return list(self._get_json("/experiments")["experiments"])

    def runs(
        self,
        experiment_id: str,
        filter_string: str = "",
        order_by: str = "",
    ) -> list[dict[str, Any]]:
        """The experiment's runs matching an MLflow-style filter, newest first
        unless ``order_by`` (e.g. ``metrics.loss ASC``) says otherwise."""
        params: dict[str, Any] = {"experiment_id": experiment_id}
        if filter_string.strip():
            params["filter"] = filter_string
        if order_by:
            params["order_by"] = order_by
        return list(self._get_json("/runs", params=params)["runs"])

    def run(self, run_id: str) -> dict[str, Any]:
        return self._get_json(f"/runs/{_segment(run_id)}")

    def metric(
        self, run_id: str, key: str, max_points: int, x_axis: XAxis = "step"
    ) -> dict[str, Any]:
        """One metric's series, downsampled by the API to at most ``max_points``."""
        # Keys such as "rank0/loss" keep their slash: the API's route takes the
        # rest of the path as the key.
        path = f"/runs/{_segment(run_id)}/metrics/{quote(key, safe='/')}"
        params = {"max_points": max_points, "x_axis": x_axis}
        return self._get_json(path, params=params)

    def series(
        self,
        run_ids: list[str],
        keys: list[str],
        max_points: int,
        x_axis: XAxis = "step",
        per_rank: bool = False,
    ) -> list[dict[str, Any]]:
        """Many series in one request: each key of each run that has points, and
        with ``per_rank`` one for each rank that wrote it."""
        params = {
            "run_id": run_ids,
            "key": keys,
            "max_points": max_points,
            "x_axis": x_axis,
            "per_rank": per_rank,
        }
        return list(self._get_json("/metrics", params=params)["series"])

    def events(self, run_id: str, limit: int, offset: int = 0) -> dict[str, Any]:
        """A page of the run's event history, in log order, and the total."""
        params = {"limit": limit, "offset": offset}
        return dict(self._get_json(f"/runs/{_segment(run_id)}/events", params=params))

    def states(self) -> list[dict[str, Any]]:
        return list(self._get_json("/states")["states"])

    def replays(self) -> list[dict[str, Any]]:
        return list(self._get_json("/replays")["replays"])

    def export_url(self, run_id: str, fmt: str, keys: list[str] | None = None) -> str:
        """Where a browser downloads every point of the run's metrics."""
        params: list[tuple[str, str]] = [("format", fmt)]
        params += [("key", key) for key in keys or ()]
        if self.state:
            params.append(("state", self.state))
        path = f"{API_PREFIX}/runs/{_segment(run_id)}/export/metrics"
        return self.base_url + path + "?" + urlencode(params)

    def export_bytes(self, run_id: str, fmt: str) -> bytes:
        """Every point of the run's metrics as one CSV or Parquet file."""
        path = f"{API_PREFIX}/runs/{_segment(run_id)}/export/metrics"
        return self._get(path, {"format": fmt}).content

    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        return list(self._get_json(f"/runs/{_segment(run_id)}/artifacts")["files"])

    def artifact_url(self, run_id: str, path: str) -> str:
        """Where a browser can fetch the artifact straight from the API."""
        url = self.base_url + self._artifact_path(run_id, path)
        return url + (f"?{urlencode({'state': self.state})}" if self.state else "")

    def artifact_bytes(self, run_id: str, path: str) -> bytes:
        return self._get(self._artifact_path(run_id, path)).content

    def _artifact_path(self, run_id: str, path: str) -> str:
        return f"{API_PREFIX}/runs/{_segment(run_id)}/artifacts/{quote(path, safe='/')}"

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/api/v1<path>`` decoded: for pages whose endpoints this client
        does not wrap (the registry page)."""
        return self._get_json(path, params)

    def _get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._get(API_PREFIX + path, params).json()

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        also_ok: frozenset[int] | set[int] = frozenset(),
    ) -> httpx.Response:
        if self.state:
            params = {**(params or {}), "state": self.state}
        logger.debug("GET %s params=%s", path, params)
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise ApiUnavailableError(
                f"the runstream API at {self.base_url} did not answer GET {path} in "
                "time; check that `runstream server` is running and not overloaded"
            ) from exc
        except httpx.TransportError as exc:
            raise ApiUnavailableError(
                f"cannot reach the runstream API at {self.base_url} ({exc}); start it "
                "with `runstream server` or point RUNSTREAM_API_URL at it"
            ) from exc

        if response.is_error and response.status_code not in also_ok:
            raise ApiRequestError(
                f"GET {path} answered {response.status_code}: {_detail(response)}",
                response.status_code,
            )
        return response


def _segment(value: str) -> str:
    """``value`` as one path segment: a slash in an id must not split the path."""
    return quote(value, safe="")


def _detail(response: httpx.Response) -> str:
    """The API's explanation of an error: FastAPI's ``detail``, else the body."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.text[:300] or response.reason_phrase
