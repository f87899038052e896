"""Blobs in MinIO or any S3 (``s3://bucket/prefix``), through the ``minio`` client.

The bucket is created when missing. Files larger than one part
(RUNSTREAM_S3_PART_SIZE) go up as a multipart upload; downloads stream in chunks,
so neither direction holds a large file in memory.

Writes outlast a store that is down for a while: while it cannot be reached they
are tried again with growing waits (RUNSTREAM_S3_WRITE_ATTEMPTS,
RUNSTREAM_S3_RETRY_BACKOFF_S), each failure logged as "attempt n/m". Reads fail at
once, so an API request answers quickly while the store is down.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from runstream.blobs.base import CHUNK_SIZE, check_key
from runstream.errors import InvalidInputError, StoreError
from runstream.settings import S3Settings, load_s3_settings

logger = logging.getLogger(__name__)

SCHEME = "s3://"
_FAILURES = (MinioException, urllib3.exceptions.HTTPError, OSError)
MAX_BACKOFF_S = 8.0
T = TypeVar("T")


def _transient(e: Exception) -> bool:
    """Worth another try: the store could not be reached or had a server error."""
    if isinstance(e, S3Error):
        return e.response.status >= 500
    if isinstance(e, OSError):
        # A missing or unreadable source file stays so; a refused connection may not.
        return isinstance(e, (ConnectionError, TimeoutError))
    return True


def parse_location(location: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix without slashes at the ends)."""
    bucket, _, prefix = location.removeprefix(SCHEME).partition("/")
    if not bucket:
        raise InvalidInputError(
            f"blob store location {location!r} must name a bucket: s3://bucket/prefix"
        )
    prefix = prefix.strip("/")
    return bucket, check_key(prefix) if prefix else ""


class S3BlobStore:
    """Blobs as objects under one prefix of one bucket."""

    def __init__(
        self,
        client: Minio,
        bucket: str,
        prefix: str = "",
        part_size: int = 16 << 20,
        *,
        write_attempts: int = 6,
        retry_backoff_s: float = 0.5,
        ping_client: Minio | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.write_attempts = write_attempts
        self.retry_backoff_s = retry_backoff_s
        # The health check asks through a client without retries and with a short
        # timeout, so a store that is down reads as down within about a second.
        self.ping_client = ping_client or client

    @classmethod
    def open(cls, location: str, settings: S3Settings | None = None) -> S3BlobStore:
        """Connect to the store a location names and create its bucket if needed."""
        s = settings or load_s3_settings()
        bucket, prefix = parse_location(location)

        def client(http: urllib3.PoolManager) -> Minio:
            return Minio(
                s.endpoint,
                access_key=s.access_key,
                secret_key=s.secret_key.get_secret_value(),
                secure=s.secure,
                region=s.region,
                http_client=http,
            )

        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(
                total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)
            ),
        )
        ping = urllib3.PoolManager(
            timeout=urllib3.Timeout(total=s.ping_timeout_s), retries=False
        )
        store = cls(
            client(http),
            bucket,
            prefix,
            s.part_size,
            write_attempts=s.write_attempts,
            retry_backoff_s=s.retry_backoff_s,
            ping_client=client(ping),
        )
        store.ensure_bucket()
        logger.info(
            "opened S3 blob store endpoint=%s location=%s", s.endpoint, location
        )
        return store

    def __repr__(self) -> str:
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix})"

    def _failed(self, what: str, e: Exception) -> StoreError:
        return StoreError(
            f"S3 {what} in bucket {self.bucket!r} failed: {e}; check "
            "RUNSTREAM_S3_ENDPOINT, the access keys and that the server is up"
        )

    def _name(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _write(self, what: str, action: Callable[[], T]) -> T:
        """Run a write; while the store cannot be reached, try again with backoff."""
        attempt = 1
        while True:
            try:
                return action()
            except _FAILURES as e:
                if attempt >= self.write_attempts or not _transient(e):
                    raise self._failed(what, e) from e
                pause = min(self.retry_backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S)
                logger.warning(
                    "S3 %s failed, attempt %d/%d, retrying in %.1fs: %s",
                    what,
                    attempt,
                    self.write_attempts,
                    pause,
                    e,
                )
                time.sleep(pause)
                attempt += 1

    def ensure_bucket(self) -> None:
        self._write("creating the bucket", self._create_bucket)

    def _create_bucket(self) -> None:
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
                logger.info("created bucket %s", self.bucket)
        except S3Error as e:
            if e.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def ping(self) -> bool:
        """Whether the store answers now: one short request, never retried."""
        try:
            self.ping_client.bucket_exists(self.bucket)
        except _FAILURES as e:
            logger.debug("S3 ping failed bucket=%s: %s", self.bucket, e)
            return False
        return True

    def put(self, key: str, data: bytes) -> None:
        name = self._name(key)
        self._write(
            f"writing {name!r}",
            lambda: self.client.put_object(
                self.bucket, name, io.BytesIO(data), len(data), part_size=self.part_size
            ),
        )
        logger.debug("put blob=%s bytes=%d", name, len(data))

    def put_file(self, key: str, source: Path) -> None:
        name = self._name(key)
        self._write(
            f"uploading {source} to {name!r}",
            lambda: self.client.fput_object(
                self.bucket, name, str(source), part_size=self.part_size
            ),
        )
        logger.debug("uploaded blob=%s from %s", name, source)

    def exists(self, key: str) -> bool:
        name = self._name(key)
        try:
            self.client.stat_object(self.bucket, name)
        except S3Error as e:
            if e.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise self._failed(f"looking up {name!r}", e) from e
        except _FAILURES as e:
            raise self._failed(f"looking up {name!r}", e) from e
        return True

    def open_chunks(self, key: str) -> Iterator[bytes]:
        name = self._name(key)
        try:
            response = self.client.get_object(self.bucket, name)
        except S3Error as e:
            if e.code == "NoSuchKey":
                raise StoreError(
                    f"blob {key!r} does not exist in s3://{self.bucket}/{self.prefix}"
                ) from e
            raise self._failed(f"reading {name!r}", e) from e
        except _FAILURES as e:
            raise self._failed(f"reading {name!r}", e) from e
        try:
            yield from response.stream(CHUNK_SIZE)
        except _FAILURES as e:
            raise self._failed(f"streaming {name!r}", e) from e
        finally:
            response.close()
            response.release_conn()

    def list(self, prefix: str) -> list[tuple[str, int]]:
        folder = self._name(prefix) + "/" if prefix else ""
        if self.prefix and not folder:
            folder = self.prefix + "/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            found = [
                (o.object_name[strip:], o.size or 0)
                for o in self.client.list_objects(
                    self.bucket, prefix=folder, recursive=True
                )
                if o.object_name is not None
            ]
        except _FAILURES as e:
            raise self._failed(f"listing {folder!r}", e) from e
        return sorted(found)
