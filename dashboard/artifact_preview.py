"""Previews of artifacts: images, text, JSON and tables, fetched only when shown
and only up to a size a browser takes in comfortably."""

from __future__ import annotations

import io
import json
import logging
import posixpath
from typing import Any, Literal

import pandas as pd
import streamlit as st

from runstream.dashboard.client import ApiClient, ApiError
from runstream.dashboard.frames import format_size

logger = logging.getLogger(__name__)

Kind = Literal["image", "text", "json", "table"]

# Larger files are offered for download only.
PREVIEW_LIMIT = 5 * 1024 * 1024
TABLE_ROWS = 1000
TEXT_CHARS = 200_000

_KINDS: dict[str, Kind] = {
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"), "image"),
    **dict.fromkeys((".json",), "json"),
    **dict.fromkeys((".csv", ".tsv", ".parquet"), "table"),
    **dict.fromkeys(
        (".txt", ".log", ".md", ".py", ".yaml", ".yml", ".cfg", ".ini", ".toml")
        + (".sh", ".xml", ".html", ".svg", ".rst", ".out", ".err"),
        "text",
    ),
}
# Files MLflow writes without an extension, and what they hold.
_NAMES: dict[str, Kind] = {"MLmodel": "text", "requirements": "text"}
_LANGUAGES = {".py": "python", ".yaml": "yaml", ".yml": "yaml", ".sh": "bash"}


def preview_kind(path: str) -> Kind | None:
    name = posixpath.basename(path)
    extension = posixpath.splitext(name)[1].lower()
    return _KINDS.get(extension) or _NAMES.get(name)


def render_preview(client: ApiClient, run_id: str, file: dict[str, Any]) -> None:
    path = file["path"]
    kind = preview_kind(path)
    if kind is None:
        st.caption(f"No preview for `{path}`; download it instead.")
        return
    if file["size"] > PREVIEW_LIMIT:
        st.caption(
            f"`{path}` is {format_size(file['size'])}, more than the "
            f"{format_size(PREVIEW_LIMIT)} shown here; download it instead."
        )
        return
    try:
        data = client.artifact_bytes(run_id, path)
    except ApiError as exc:
        st.warning(f"Could not fetch {path}: {exc}")
        return
    try:
        _show(kind, path, data)
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        logger.debug("preview failed path=%s: %s", path, exc)
        st.warning(f"`{path}` does not read as {kind}: {exc}")


def _show(kind: Kind, path: str, data: bytes) -> None:
    if kind == "image":
        st.image(data, caption=path)
    elif kind == "json":
        st.json(json.loads(data), expanded=2)
    elif kind == "table":
        frame = read_table(path, data)
        st.dataframe(frame, width="stretch", key=f"preview_table_{path}")
        st.caption(f"first {len(frame):,} rows")
    else:
        text = data.decode("utf-8")
        if len(text) > TEXT_CHARS:
            text = text[:TEXT_CHARS] + "\n… (cut; download the file for the rest)"
        extension = posixpath.splitext(path)[1].lower()
        st.code(text, language=_LANGUAGES.get(extension), line_numbers=True)


def read_table(path: str, data: bytes) -> pd.DataFrame:
    """The first rows of a CSV, TSV or Parquet file."""
    if path.lower().endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(data)).head(TABLE_ROWS)
    separator = "\t" if path.lower().endswith(".tsv") else ","
    return pd.read_csv(io.BytesIO(data), sep=separator, nrows=TABLE_ROWS)
