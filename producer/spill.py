"""Batches of encoded events kept on local disk while the event log is unreachable.

Each SDK process spills into a folder of its own under ``RUNSTREAM_SPILL_DIR``
(default ``<home>/spill``), in a folder per event log (``destination_folder``),
one file per batch, named by sequence so the order survives. A process that ends
before the log comes back leaves its folder behind; the next SDK process on this
machine that writes to the same log adopts it and delivers it first. Batches are
never delivered to another log than the one they were logged for.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

from runstream.errors import EventLogError
from runstream.log import Record

logger = logging.getLogger(__name__)

MAGIC = b"RSB1"
_HEADER = struct.Struct("<4sIII")  # magic, items, points, records
_RECORD = struct.Struct("<HHI")  # topic, key and value lengths
OWNER_FILE = "owner"


def destination_folder(location: str) -> str:
    """The name of the spill folder for the event log at ``location``: its kind
    and a digest of where it is (the location may hold credentials, so it is not
    written out)."""
    scheme, sep, _ = location.partition("://")
    if not sep or scheme == "file":
        scheme = "local"
        location = str(Path(location.removeprefix("file://")).resolve())
    return f"{scheme}-{hashlib.sha256(location.encode()).hexdigest()[:16]}"


class SpillFolder:
    """The spill folder of one producer: write, read back and remove batches."""

    def __init__(self, root: Path, producer_id: str) -> None:
        self.root = root
        self.folder = root / producer_id

    def write(
        self, sequence: int, records: list[Record], items: int, points: int
    ) -> Path:
        """Write one batch durably (fsync, then rename into place)."""
        self._claim_folder()
        target = self.folder / f"{sequence:012d}.batch"
        temp = target.with_suffix(".incoming")
        with temp.open("wb") as out:
            out.write(_HEADER.pack(MAGIC, items, points, len(records)))
            for r in records:
                topic, key = r.topic.encode(), r.key.encode()
                out.write(_RECORD.pack(len(topic), len(key), len(r.value)))
                out.write(topic + key + r.value)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        return target

    def _claim_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
            owner = f"{socket.gethostname()} {os.getpid()}"
            (self.folder / OWNER_FILE).write_text(owner)
            logger.info("spilling events to disk folder=%s", self.folder)

    def adopt_orphans(self, first_sequence: int) -> list[Path]:
        """Move the batches of producers that died before delivering them into
        this folder, oldest first, numbered from ``first_sequence``."""
        adopted: list[Path] = []
        if not self.root.is_dir():
            return adopted
        for orphan in sorted(self.root.iterdir(), key=_mtime):
            if orphan == self.folder or not _is_orphan(orphan):
                continue
            # Renaming the folder claims it: of two processes adopting at once,
            # only one rename succeeds.
            claimed = self.root / f".adopting-{orphan.name}-{os.getpid()}"
            try:
                orphan.rename(claimed)
            except OSError:
                continue
            for batch in sorted(claimed.glob("*.batch")):
                self._claim_folder()
                sequence = first_sequence + len(adopted)
                target = self.folder / f"{sequence:012d}.batch"
                batch.rename(target)
                adopted.append(target)
            _remove_folder(claimed)
        if adopted:
            logger.info(
                "adopted undelivered batches=%d from ended processes into %s",
                len(adopted),
                self.folder,
            )
        return adopted

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def close(self) -> bool:
        """Remove the folder if nothing is left in it; True if it is gone."""
        if not self.folder.is_dir():
            return True
        if any(self.folder.glob("*.batch")):
            return False
        _remove_folder(self.folder)
        return True


def read_batch(path: Path) -> tuple[list[Record], int, int]:
    """The records of a spilled batch, with its item and point counts."""
    data = path.read_bytes()
    try:
        magic, items, points, count = _HEADER.unpack_from(data, 0)
        if magic != MAGIC:
            raise ValueError(f"starts with {magic!r}, not {MAGIC!r}")
        records = list(_records(data, _HEADER.size, count))
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise EventLogError(
            f"spilled batch {path} is damaged: {e}; move it out of the spill "
            "folder to let the others go through"
        ) from e
    return records, items, points


def _records(data: bytes, at: int, count: int) -> Iterator[Record]:
    for _ in range(count):
        topic_len, key_len, value_len = _RECORD.unpack_from(data, at)
        at += _RECORD.size
        topic = data[at : at + topic_len].decode()
        at += topic_len
        key = data[at : at + key_len].decode()
        at += key_len
        value = data[at : at + value_len]
        at += value_len
        if len(value) != value_len:
            raise ValueError("ends inside a record")
        yield Record(topic, key, value)


def _is_orphan(folder: Path) -> bool:
    owner = folder / OWNER_FILE
    if folder.name.startswith(".") or not owner.is_file():
        return False
    try:
        host, pid = owner.read_text().split()
    except (OSError, ValueError):
        return False
    # TODO: adopt spill folders on shared storage too; a remote pid can't be checked.
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _remove_folder(folder: Path) -> None:
    for leftover in folder.iterdir():
        leftover.unlink(missing_ok=True)
    folder.rmdir()
