"""A run's artifact list with download buttons.

The bytes are fetched from the API only when a button is clicked, so a run with
large checkpoints costs nothing to look at.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Callable

import streamlit as st

from runstream.dashboard.client import ApiClient
from runstream.dashboard.frames import format_size

logger = logging.getLogger(__name__)

# More rows than this read better as a picker than as a wall of buttons.
_MAX_BUTTON_ROWS = 30
_PICKER = "artifact_picker"


def render_artifacts(client: ApiClient, run_id: str) -> None:
    files = client.artifacts(run_id)
    st.subheader(f"Artifacts ({len(files):,})")
    if not files:
        st.caption("This run has no artifacts.")
        return

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
