"""Blobs in MinIO or any S3 (``s3://bucket/prefix``), through the ``minio`` client.

The bucket is created when missing. Files larger than one part
(RUNSTREAM_S3_PART_SIZE) go up as a multipart upload; downloads stream in chunks,
so neither direction holds a large file in memory.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from runstream.blobs.base import CHUNK_SIZE, check_key
from runstream.errors import InvalidInputError, StoreError
from runstream.settings import S3Settings, load_s3_settings

logger = logging.getLogger(__name__)

SCHEME = "s3://"
_FAILURES = (MinioException, urllib3.exceptions.HTTPError, OSError)


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
        self, client: Minio, bucket: str, prefix: str = "", part_size: int = 16 << 20
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size

    @classmethod
    def open(cls, location: str, settings: S3Settings | None = None) -> S3BlobStore:
        """Connect to the store a location names and create its bucket if needed."""
        s = settings or load_s3_settings()
        bucket, prefix = parse_location(location)
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(
                total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)
            ),
        )
        client = Minio(
            s.endpoint,
            access_key=s.access_key,
            secret_key=s.secret_key.get_secret_value(),
            secure=s.secure,
            region=s.region,
            http_client=http,
        )
        store = cls(client, bucket, prefix, s.part_size)
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

    def ensure_bucket(self) -> None:
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
                logger.info("created bucket %s", self.bucket)
        except S3Error as e:
            if e.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._failed("creating the bucket", e) from e
        except _FAILURES as e:
            raise self._failed("creating the bucket", e) from e

    def put(self, key: str, data: bytes) -> None:
        name = self._name(key)
        try:
            self.client.put_object(
                self.bucket, name, io.BytesIO(data), len(data), part_size=self.part_size
            )
        except _FAILURES as e:
            raise self._failed(f"writing {name!r}", e) from e
        logger.debug("put blob=%s bytes=%d", name, len(data))

    def put_file(self, key: str, source: Path) -> None:
        name = self._name(key)
        try:
            self.client.fput_object(
                self.bucket, name, str(source), part_size=self.part_size
            )
        except _FAILURES as e:
            raise self._failed(f"uploading {source} to {name!r}", e) from e
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
