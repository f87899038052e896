"""``RunstreamClient``: every tracking operation on explicit ids, no active run.

Writes become events on the log, like the fluent API's; reads go to the query API
(RUNSTREAM_API_URL, or ``api_url``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runstream import artifacts, experiments, writes
from runstream import validation as v
from runstream.context import flush
from runstream.entities import (
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunTag,
)
from runstream.reads import QueryApi


class RunstreamClient:
    """A client of runstream's tracking: experiments, runs, logging, artifacts."""

    def __init__(self, api_url: str | None = None) -> None:
        self._api_url = api_url

    @property
    def api(self) -> QueryApi:
        # Built on use, so RUNSTREAM_API_URL set after the client still counts.
        return QueryApi(self._api_url)

    # -- experiments -----------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        return experiments.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.api.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.api.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: str = "ACTIVE_ONLY",
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self.api.search_experiments(
            filter_string, order_by, max_results, page_token, view_type
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        experiments.rename_experiment(experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        experiments.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        experiments.restore_experiment(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        experiments.set_experiment_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        experiments.delete_experiment_tag(experiment_id, key)

    # -- runs ------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Start a run; end it with ``set_terminated``."""
        from runstream.tracking import _generate_run_name

        info = writes.create_run(
            experiment_id, run_name or _generate_run_name(), None, start_time, tags
        )
        return Run(info, RunData(tags={k: str(v) for k, v in (tags or {}).items()}))

    def get_run(self, run_id: str) -> Run:
        return self.api.get_run(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: str = "ACTIVE_ONLY",
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        return self.api.search_runs(
            experiment_ids,
            filter_string,
            order_by,
            max_results,
            page_token,
            run_view_type,
        )

    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> None:
        writes.set_status(run_id, status, end_time)
        flush()

    def update_run(
        self, run_id: str, status: str | None = None, name: str | None = None
    ) -> None:
        if status is not None:
            writes.set_status(run_id, status)
        if name is not None:
            writes.rename_run(run_id, name)

    def delete_run(self, run_id: str) -> None:
        writes.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        writes.restore_run(run_id)

    # -- logging ---------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        # writes.log_metric leaves the run id to its callers: the fluent API's
        # comes from its own active run.
        writes.log_metric(v.check_run_id(run_id), key, value, step, timestamp)

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        writes.log_params(run_id, {key: value})
        return value

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        writes.log_batch(run_id, metrics, params, tags)

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        writes.set_tags(run_id, {key: value})

    def delete_tag(self, run_id: str, key: str) -> None:
        writes.delete_tag(run_id, key)

    def get_metric_history(
        self, run_id: str, key: str, rank: int | None = None
    ) -> list[Metric]:
        """Every point of ``key``, all ranks merged unless ``rank`` is given."""
        return self.api.metric_history(run_id, key, rank)

    # -- artifacts -------------------------------------------------------------------

    def log_artifact(
        self, run_id: str, local_path: str | Path, artifact_path: str | None = None
    ) -> None:
        artifacts.log_file(run_id, local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | Path, artifact_path: str | None = None
    ) -> None:
        artifacts.log_folder(run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        artifacts.log_text(run_id, text, artifact_file)

    def log_dict(
        self, run_id: str, dictionary: Mapping[str, Any], artifact_file: str
    ) -> None:
        artifacts.log_dict(run_id, dictionary, artifact_file)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        artifacts.log_figure(run_id, figure, artifact_file)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        artifacts.log_image(run_id, image, artifact_file)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        artifacts.log_table(run_id, data, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self.api.list_artifacts(run_id, path)

    def download_artifacts(
        self, run_id: str, path: str = "", dst_path: str | Path | None = None
    ) -> str:
        """Download a file or folder; into a new temporary folder if no
        ``dst_path``. Returns the local path."""
        target = dst_path or tempfile.mkdtemp(prefix="runstream-artifacts-")
        return self.api.download_artifacts(run_id, path or None, target)
