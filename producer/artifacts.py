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
import os
import re
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
# What str() gives for an object without a text form of its own, such as
# "<object object at 0x7f...>": it names no value and differs on every run.
_MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def log_bytes(run_id: str, data: bytes, artifact_file: str) -> None:
    """Log ``data`` as the file ``artifact_file`` (a path relative to the run's
    artifact root, such as ``plots/loss.png``)."""
    run_id = v.check_run_id(run_id)
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
    source = _local_path(run_id, "log_artifact", "local_path", local_path)
    artifact_path = _folder(run_id, "log_artifact", artifact_path)
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
    folder = _local_path(run_id, "log_artifacts", "local_dir", local_dir)
    artifact_path = _folder(run_id, "log_artifacts", artifact_path)
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
    artifact_file = _artifact_file(run_id, "log_text", artifact_file)
    if not isinstance(text, str):
        fix = (
            "decode bytes first, e.g. data.decode('utf-8')"
            if isinstance(text, (bytes, bytearray))
            else "convert it with str() first, or use log_dict for a dict"
        )
        raise v.wrong_type("log_text", "text", "a str", text, f" for run {run_id}", fix)
    log_bytes(run_id, text.encode("utf-8"), artifact_file)


def log_dict(run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
    """JSON, or YAML when the file ends in ``.yaml``/``.yml``.

    A value JSON has no type for is written as its str(), as MLflow does (a
    datetime, a numpy number), unless that text is only a type and a memory
    address: such a value is refused, naming where in ``dictionary`` it is.
    """
    artifact_file = _artifact_file(run_id, "log_dict", artifact_file)
    if not isinstance(dictionary, (Mapping, list, tuple)):
        raise v.wrong_type(
            "log_dict",
            "dictionary",
            "a dict (or a list) to write as JSON or YAML",
            dictionary,
            f" for run {run_id}",
        )
    is_yaml = PurePosixPath(artifact_file).suffix.lower() in (".yaml", ".yml")
    try:
        if is_yaml:
            text = _to_yaml(dictionary)
        else:
            text = json.dumps(dictionary, indent=2, default=_as_text)
    except (_NoTextForm, TypeError, ValueError) as e:
        problem = _first_problem(dictionary, "dictionary", set(), not is_yaml)
        raise InvalidInputError(
            f"log_dict for run {run_id} cannot write {artifact_file!r}: {problem or e}"
        ) from e
    log_text(run_id, text, artifact_file)


class _NoTextForm(Exception):
    """A value of ``log_dict`` whose str() names no value (see _MEMORY_ADDRESS)."""


def _as_text(value: object) -> str:
    text = str(value)
    if _MEMORY_ADDRESS.search(text):
        raise _NoTextForm(text)
    return text


def _to_yaml(data: object) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        """SafeDumper, but a value it has no tag for is written as JSON writes
        it (numbers as numbers, mappings as mappings, the rest as str())."""

    def represent_other(dumper: yaml.SafeDumper, value: Any) -> yaml.Node:
        if isinstance(value, Mapping):
            return dumper.represent_dict(dict(value))
        if isinstance(value, (list, tuple)):
            return dumper.represent_list(list(value))
        if isinstance(value, int) and not isinstance(value, bool):
            return dumper.represent_int(int(value))
        if isinstance(value, float):
            return dumper.represent_float(float(value))
        return dumper.represent_str(_as_text(value))

    Dumper.add_representer(None, represent_other)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False)


_JSON_KEYS = (str, int, float, bool, type(None))


def _first_problem(
    value: object, path: str, open_containers: set[int], as_json: bool
) -> str | None:
    """Where in ``value`` the first thing log_dict cannot write is, and why.

    Walked only after json or YAML refused, so a good dict pays nothing for it.
    YAML writes cycles and any key; JSON does neither.
    """
    fix = "convert it to a str, number, bool, None, list or dict first"
    if isinstance(value, (str, int, float, bool, type(None))):
        return None
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in open_containers:
            return (
                f"{path} contains itself; JSON cannot write a cycle"
                if as_json
                else None
            )
        open_containers.add(id(value))
        pairs = value.items() if isinstance(value, Mapping) else enumerate(value)
        for key, item in pairs:
            if (
                as_json
                and isinstance(value, Mapping)
                and not isinstance(key, _JSON_KEYS)
            ):
                return (
                    f"{path} has the key {v.describe(key)}; JSON keys must be a "
                    f"str, number, bool or None, so {fix}"
                )
            found = _first_problem(item, f"{path}[{key!r}]", open_containers, as_json)
            if found:
                return found
        open_containers.discard(id(value))
        return None
    if _MEMORY_ADDRESS.search(str(value)):
        return (
            f"{path} is {v.describe(value)}, which has no text form of its own; {fix}"
        )
    return None


def log_figure(run_id: str, figure: Any, artifact_file: str) -> None:
    """A matplotlib figure (any format it saves) or a plotly figure (``.html`` or
    ``.json``)."""
    artifact_file = _artifact_file(run_id, "log_figure", artifact_file)
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
        raise v.wrong_type(
            "log_figure",
            "figure",
            "a matplotlib or plotly figure",
            figure,
            f" for run {run_id}",
        )


def log_image(run_id: str, image: Any, artifact_file: str) -> None:
    """A PIL image or a numpy array (H×W grey, H×W×3 RGB, H×W×4 RGBA; uint8, or
    floats in [0, 1])."""
    import numpy as np
    from PIL import Image

    artifact_file = _artifact_file(run_id, "log_image", artifact_file)
    if not isinstance(image, Image.Image):
        try:
            array = np.asarray(image)
        except (TypeError, ValueError):  # ragged nested lists
            array = np.asarray(None)
        if array.dtype.kind not in "buif":
            raise v.wrong_type(
                "log_image",
                "image",
                "a PIL image or a numpy array of numbers",
                image,
                f" for run {run_id}",
            )
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

    artifact_file = _artifact_file(run_id, "log_table", artifact_file)
    if not PurePosixPath(artifact_file).suffix.lower() == ".json":
        raise InvalidInputError(
            f"table {artifact_file!r} for run {run_id}: name it with .json"
        )
    try:
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    except (ValueError, TypeError) as e:
        raise InvalidInputError(
            f"log_table for run {run_id} takes data as a pandas DataFrame or a dict "
            f"of equal-length columns; got {v.describe(data)} for {artifact_file!r} "
            f"({e})"
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


def _local_path(run_id: str, call: str, argument: str, value: object) -> Path:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise v.wrong_type(
            call,
            argument,
            "a local path (a str or pathlib.Path)",
            value,
            f" for run {run_id}",
        )
    return Path(value)


def _folder(run_id: str, call: str, artifact_path: object) -> str | None:
    """``artifact_path``: a folder inside the run's artifacts, or None for the root."""
    if isinstance(artifact_path, os.PathLike):
        artifact_path = os.fspath(artifact_path)
    if artifact_path is None or isinstance(artifact_path, str):
        return artifact_path
    raise v.wrong_type(
        call,
        "artifact_path",
        "a folder inside the run's artifacts (a str such as 'plots'), or None",
        artifact_path,
        f" for run {run_id}",
    )


def _artifact_file(run_id: str, call: str, artifact_file: object) -> str:
    """``artifact_file`` as a str; its rules are checked as it is logged."""
    if isinstance(artifact_file, os.PathLike):
        artifact_file = os.fspath(artifact_file)
    if isinstance(artifact_file, str):
        return artifact_file
    raise v.wrong_type(
        call,
        "artifact_file",
        "a file path inside the run's artifacts (a str such as 'plots/loss.png')",
        artifact_file,
        f" for run {run_id}",
    )


def _join(folder: str | None, name: str) -> str:
    # A leading "/" stays, so that the key check refuses "/etc" as MLflow does
    # instead of logging under "etc" unasked.
    return f"{folder.rstrip('/')}/{name}" if folder and folder.rstrip("/") else name


def _artifact_path(run_id: str, path: str) -> str:
    return v.check_key("artifact", path, run_id)
