"""Reads through the query API: runs, experiments, metric history, artifacts.

In the embedded mode only ``runstream server`` owns the projections, so training
code reads them over HTTP (RUNSTREAM_API_URL). A write becomes readable once the
server has projected it, usually within a fraction of a second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from runstream.auth import bearer_headers
from runstream.entities import (
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Run,
    experiment_from_json,
    metric_number,
    run_from_json,
)
from runstream.errors import (
    AuthError,
    FilterSyntaxError,
    InvalidInputError,
    NotFoundError,
    StoreError,
)
from runstream.settings import load_settings

logger = logging.getLogger(__name__)

API = "/api/v1"
HISTORY_PAGE = 100_000
# TODO: reads do not wait for the writer's own events to be projected (the
# consistency token of DESIGN.md); call flush() and allow the server a moment.


class QueryApi:
    """A small HTTP client of the query API; errors become runstream's."""

    def __init__(self, base_url: str | None = None, timeout_s: float | None = None):
        config = load_settings()  # now: RUNSTREAM_API_URL may change after import
        self.base_url = (base_url or config.api_url).rstrip("/")
        self.timeout_s = timeout_s or config.api_timeout_s
        self._headers = bearer_headers(config.token)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.base_url}{API}{path}"
        try:
            response = httpx.request(
                method, url, timeout=self.timeout_s, headers=self._headers, **kwargs
            )
        except httpx.HTTPError as e:
            raise StoreError(
                f"the query API at {self.base_url} did not answer {method} {path}: "
                f"{e}; start `runstream server` or set RUNSTREAM_API_URL"
            ) from e
        if response.status_code >= 400:
            raise _error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # -- experiments -----------------------------------------------------------------

    def get_experiment(self, experiment_id: str) -> Experiment:
        return experiment_from_json(self._json("GET", f"/experiments/{experiment_id}"))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            body = self._json("GET", "/experiments/by-name", params={"name": name})
        except NotFoundError:
            return None
        return experiment_from_json(body)

    def search_experiments(
        self,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        view_type: str = "ACTIVE_ONLY",
    ) -> PagedList[Experiment]:
        body = self._json(
            "POST",
            "/experiments/search",
            json={
                "filter": filter_string or "",
                "order_by": list(order_by or ()),
                "max_results": max_results,
                "page_token": page_token,
                "view_type": view_type,
            },
        )
        experiments = [experiment_from_json(e) for e in body["experiments"]]
        return PagedList(experiments, body.get("next_page_token"))

    # -- runs ------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        return run_from_json(self._json("GET", f"/runs/{run_id}"))

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        view_type: str = "ACTIVE_ONLY",
    ) -> PagedList[Run]:
        body = self._json(
            "POST",
            "/runs/search",
            json={
                "experiment_ids": list(experiment_ids),
                "filter": filter_string or "",
                "order_by": list(order_by or ()),
                "max_results": max_results,
                "page_token": page_token,
                "view_type": view_type,
            },
        )
        runs = [run_from_json(r) for r in body["runs"]]
        return PagedList(runs, body.get("next_page_token"))

    def metric_history(
        self, run_id: str, key: str, rank: int | None = None
    ) -> list[Metric]:
        """Every point of ``key``, sorted by step then timestamp; all ranks merged
        unless ``rank`` is given."""
        points: list[Metric] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"key": key, "max_results": HISTORY_PAGE}
            if rank is not None:
                params["rank"] = rank
            if token:
                params["page_token"] = token
            body = self._json("GET", f"/runs/{run_id}/history", params=params)
            columns = body["points"]
            points.extend(
                Metric(key, metric_number(value), timestamp, step, point_rank)
                for step, timestamp, value, point_rank in zip(
                    columns["step"],
                    columns["timestamp"],
                    columns["value"],
                    columns["rank"],
                    strict=True,
                )
            )
            token = body.get("next_page_token")
            if not token:
                return points

    def metric_summary(self, run_id: str) -> list[dict[str, Any]]:
        """Per key and rank: how many points, and the latest one."""
        body = self._json("GET", f"/runs/{run_id}/metric-summary")
        return list(body["metrics"])

    # -- artifacts -------------------------------------------------------------------

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly under ``path`` (the root if None)."""
        params = {"path": path} if path else {}
        body = self._json("GET", f"/runs/{run_id}/artifacts", params=params)
        return direct_children([(f["path"], f["size"]) for f in body["files"]], path)

    def download_artifacts(
        self, run_id: str, path: str | None, dst_path: str | Path
    ) -> str:
        """Download a file or a whole folder under ``dst_path``; return the local
        path of what was asked for."""
        target = Path(dst_path)
        params = {"path": path} if path else {}
        body = self._json("GET", f"/runs/{run_id}/artifacts", params=params)
        files = [f["path"] for f in body["files"]]
        if not files:
            raise NotFoundError(
                f"run {run_id} has no artifact {path or '(root)'}; list what it has "
                "with list_artifacts(run_id)"
            )
        for file in files:
            local = target / file
            local.parent.mkdir(parents=True, exist_ok=True)
            response = self._request("GET", f"/runs/{run_id}/artifacts/{file}")
            local.write_bytes(response.content)
        return str(target / path) if path else str(target)


def direct_children(
    files: Sequence[tuple[str, int]], folder: str | None
) -> list[FileInfo]:
    """The entries one level below ``folder`` in a flat list of file paths."""
    base = PurePosixPath(folder) if folder else None
    found: dict[str, FileInfo] = {}
    for path, size in files:
        parts = PurePosixPath(path).parts
        depth = len(base.parts) if base else 0
        if base and (parts[:depth] != base.parts or len(parts) == depth):
            if parts == base.parts:
                found[path] = FileInfo(path, False, size)  # ``folder`` is a file
            continue
        child = "/".join(parts[: depth + 1])
        is_dir = len(parts) > depth + 1
        found.setdefault(child, FileInfo(child, is_dir, None if is_dir else size))
    return sorted(found.values(), key=lambda info: info.path)


def _error(response: httpx.Response) -> Exception:
    try:
        body = response.json()
        foreign = False
    except ValueError:
        body = {"detail": response.text}
        foreign = True
    detail = body.get("detail") if isinstance(body, dict) else str(body)
    message = str(detail)
    if foreign or response.status_code == 405:
        # runstream answers every route it has in JSON and every method it
        # serves: this is most likely another server on that address.
        origin = response.request.url.copy_with(path="/", query=None)
        message += (
            f"; is {origin} a runstream server? Set RUNSTREAM_API_URL to the "
            "address `runstream server` prints"
        )
    if response.status_code == 404:
        return NotFoundError(message)
    if response.status_code in (401, 403):
        return AuthError(f"the query API answered {response.status_code}: {message}")
    if response.status_code == 400 and isinstance(body, dict) and "position" in body:
        return FilterSyntaxError(
            message, body.get("text", ""), int(body["position"]), body["expected"]
        )
    if response.status_code in (400, 422):
        return InvalidInputError(message)
    return StoreError(f"the query API answered {response.status_code}: {message}")
