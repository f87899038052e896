"""A run's artifacts: folders, files with download buttons, and a preview.

The bytes are fetched from the API only for the file previewed or when a download
button is clicked, so a run with large checkpoints costs nothing to look at.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Callable
from typing import Any

import streamlit as st

from runstream.dashboard.artifact_preview import preview_kind, render_preview
from runstream.dashboard.client import ApiClient
from runstream.dashboard.frames import format_size

logger = logging.getLogger(__name__)

# More rows than this read better as a picker than as a wall of buttons.
_MAX_BUTTON_ROWS = 30
_PICKER = "artifact_picker"
_ALL = ""


def render_artifacts(client: ApiClient, run_id: str) -> None:
    files = client.artifacts(run_id)
    st.subheader(f"Artifacts ({len(files):,})")
    if not files:
        st.caption("This run has no artifacts.")
        return

    files = _in_folder(files, run_id)
    listing, preview = st.columns([3, 2])
    with listing:
        _listing(client, run_id, files)
    with preview:
        _preview(client, run_id, files)


def folders_of(paths: list[str]) -> list[str]:
    """Every folder that holds a file, parents included, sorted."""
    found = set()
    for path in paths:
        folder = posixpath.dirname(path)
        while folder:
            found.add(folder)
            folder = posixpath.dirname(folder)
    return sorted(found)


def _in_folder(files: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    folders = folders_of([f["path"] for f in files])
    if not folders:
        return files
    folder = st.selectbox(
        "Folder",
        [_ALL, *folders],
        format_func=lambda f: f"{f}/" if f else "all files",
        key=f"artifact_folder_{run_id}",
    )
    if not folder:
        return files
    return [f for f in files if f["path"].startswith(folder + "/")]


def _listing(client: ApiClient, run_id: str, files: list[dict[str, Any]]) -> None:
    if len(files) <= _MAX_BUTTON_ROWS:
        for file in files:
            name, size, button = st.columns([6, 2, 2], vertical_alignment="center")
            name.markdown(f"`{file['path']}`")
            size.caption(format_size(file["size"]))
            with button:
                _download_button(client, run_id, file["path"])
        return

    sizes = {f["path"]: f["size"] for f in files}
    picker, button = st.columns([4, 1], vertical_alignment="bottom")
    path = picker.selectbox(
        f"File ({len(files):,})",
        options=sorted(sizes),
        format_func=lambda p: f"{p} ({format_size(sizes[p])})",
        key=_PICKER,
    )
    with button:
        _download_button(client, run_id, path)


def _preview(client: ApiClient, run_id: str, files: list[dict[str, Any]]) -> None:
    shown = [f for f in files if preview_kind(f["path"])]
    if not shown:
        st.caption("No file here has a preview (images, text, JSON, tables).")
        return
    by_path = {f["path"]: f for f in shown}
    path = st.selectbox("Preview", list(by_path), key=f"artifact_preview_{run_id}")
    if path:
        render_preview(client, run_id, by_path[path])


def _download_button(client: ApiClient, run_id: str, path: str) -> None:
    st.download_button(
        "Download",
        data=_fetcher(client, run_id, path),
        file_name=posixpath.basename(path),
        mime=mimetypes.guess_type(path)[0] or "application/octet-stream",
        key=f"download_{path}",
        on_click="ignore",
        icon=":material/download:",
    )


def _fetcher(client: ApiClient, run_id: str, path: str) -> Callable[[], bytes]:
    def fetch() -> bytes:
        logger.info("artifact download run_id=%s path=%s", run_id, path)
        return client.artifact_bytes(run_id, path)

    return fetch
