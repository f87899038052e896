"""Artifacts of a run: files, folders, and objects written as files.

Every artifact becomes one ``ArtifactLogged`` event. Files up to
``INLINE_ARTIFACT_LIMIT`` travel inside it, so a replay of the log alone can rebuild
them; larger ones go to the blob store first and the event only indexes them.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from runstream import validation as v
from runstream.blobs import artifact_key, open_blob_store
from runstream.context import sender, settings
from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

INLINE_ARTIFACT_LIMIT = 4 * 1024 * 1024
_IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}


def log_bytes(run_id: str, data: bytes, artifact_file: str) -> None:
    """Log ``data`` as the file ``artifact_file`` (a path relative to the run's
    artifact root, such as ``plots/loss.png``)."""
    path = _artifact_path(run_id, artifact_file)
    inline = len(data) <= INLINE_ARTIFACT_LIMIT
    if not inline:
        # TODO: upload from the sender thread; while the store is down this call
        # waits out the blob store's write retries (RUNSTREAM_S3_WRITE_ATTEMPTS).
        blobs = open_blob_store(settings().artifacts_location())
        blobs.put(artifact_key(run_id, path), data)
    sender().submit(
        "ArtifactLogged",
        {
            "run_id": run_id,
            "path": path,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content": data if inline else None,
        },
    )
    logger.debug("artifact logged run_id=%s path=%s size=%d", run_id, path, len(data))


def log_file(
    run_id: str, local_path: str | Path, artifact_path: str | None = None
) -> None:
    """Log a local file under the run's artifacts, in ``artifact_path`` if given."""
    source = Path(local_path)
    if not source.is_file():
        raise InvalidInputError(
            f"artifact {str(source)!r} for run {run_id} is not a file; pass the path "
            "of an existing file (or use log_artifacts for a folder)"
        )
    log_bytes(run_id, source.read_bytes(), _join(artifact_path, source.name))


def log_folder(
    run_id: str, local_dir: str | Path, artifact_path: str | None = None
) -> None:
    """Log every file under a local folder, keeping its layout."""
    folder = Path(local_dir)
    if not folder.is_dir():
        raise InvalidInputError(
            f"artifact folder {str(folder)!r} for run {run_id} is not a folder; pass "
            "an existing folder (or use log_artifact for a file)"
        )
    _refuse_links_out(run_id, folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    # Check every path first, so a bad name deep inside logs nothing at all.
    paths = [_join(artifact_path, p.relative_to(folder).as_posix()) for p in files]
    for path in paths:
        _artifact_path(run_id, path)
    for file, path in zip(files, paths, strict=True):
        log_bytes(run_id, file.read_bytes(), path)


def log_text(run_id: str, text: str, artifact_file: str) -> None:
    log_bytes(run_id, text.encode("utf-8"), artifact_file)


def log_dict(run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
    """JSON, or YAML when the file ends in ``.yaml``/``.yml``."""
    suffix = PurePosixPath(artifact_file).suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(dict(dictionary), sort_keys=False)
    else:
        text = json.dumps(dictionary, indent=2, default=str)
    log_text(run_id, text, artifact_file)


def log_figure(run_id: str, figure: Any, artifact_file: str) -> None:
    """A matplotlib figure (any format it saves) or a plotly figure (``.html`` or
    ``.json``)."""
    suffix = PurePosixPath(artifact_file).suffix.lower()
    module = type(figure).__module__
    if module.startswith("matplotlib"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix.lstrip(".") or "png")
        log_bytes(run_id, buffer.getvalue(), artifact_file)
    elif module.startswith("plotly"):
        if suffix == ".html":
            log_text(run_id, figure.to_html(include_plotlyjs="cdn"), artifact_file)
        elif suffix == ".json":
            log_text(run_id, figure.to_json(), artifact_file)
        else:
            # TODO: static plotly images need kaleido; not a dependency yet.
            raise InvalidInputError(
                f"plotly figure {artifact_file!r} for run {run_id}: save it as "
                "'.html' or '.json' (static images need kaleido)"
            )
    else:
        raise InvalidInputError(
            f"figure for {artifact_file!r} of run {run_id} is a {type(figure)!r}; "
            "pass a matplotlib or plotly figure"
        )


def log_image(run_id: str, image: Any, artifact_file: str) -> None:
    """A PIL image or a numpy array (H×W grey, H×W×3 RGB, H×W×4 RGBA; uint8, or
    floats in [0, 1])."""
    import numpy as np
    from PIL import Image

    if not isinstance(image, Image.Image):
        array = np.asarray(image)
        if array.ndim not in (2, 3) or (
            array.ndim == 3 and array.shape[2] not in (1, 3, 4)
        ):
            raise InvalidInputError(
                f"image {artifact_file!r} for run {run_id} has shape {array.shape}; "
                "give H×W, H×W×1, H×W×3 or H×W×4"
            )
        if array.dtype.kind == "f":
            array = np.clip(array * 255, 0, 255).round()
        image = Image.fromarray(array.astype(np.uint8).squeeze())
    suffix = PurePosixPath(artifact_file).suffix.lower()
    image_format = _IMAGE_FORMATS.get(suffix)
    if image_format is None:
        raise InvalidInputError(
            f"image {artifact_file!r} for run {run_id}: name it .png, .jpg or .gif"
        )
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    log_bytes(run_id, buffer.getvalue(), artifact_file)


def log_table(run_id: str, data: Any, artifact_file: str) -> None:
    """A table (a pandas DataFrame or a dict of equal-length columns) as JSON
    ``{"columns": [...], "data": [[...], ...]}``.

    TODO: logging to a table file that exists replaces it; MLflow appends rows.
    """
    import pandas as pd

    if not PurePosixPath(artifact_file).suffix.lower() == ".json":
        raise InvalidInputError(
            f"table {artifact_file!r} for run {run_id}: name it with .json"
        )
    try:
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    except (ValueError, TypeError) as e:
        raise InvalidInputError(
            f"table {artifact_file!r} for run {run_id} is not a DataFrame or a dict "
            f"of equal-length columns: {e}"
        ) from e
    split = json.loads(frame.to_json(orient="split", index=False))
    log_text(
        run_id,
        json.dumps({"columns": split["columns"], "data": split["data"]}),
        artifact_file,
    )


def _refuse_links_out(run_id: str, folder: Path) -> None:
    """Raise if a symbolic link under ``folder`` leads out of it: logging the
    folder must not copy a file from elsewhere (a key, a password file). Links
    to files inside are logged as those files; linked folders are not entered."""
    root = folder.resolve()
    for path in folder.rglob("*"):
        if not path.is_symlink():
            continue
        target = path.resolve()
        if target != root and root not in target.parents:
            raise InvalidInputError(
                f"artifact folder {str(folder)!r} for run {run_id} holds the "
                f"symbolic link {str(path.relative_to(folder))!r}, which leads out "
                "of the folder; nothing was logged. Copy the file in, or remove "
                "the link"
            )


def _join(folder: str | None, name: str) -> str:
    # A leading "/" stays, so that the key check refuses "/etc" as MLflow does
    # instead of logging under "etc" unasked.
    return f"{folder.rstrip('/')}/{name}" if folder and folder.rstrip("/") else name


def _artifact_path(run_id: str, path: str) -> str:
    return v.check_key("artifact", path, run_id)
