"""Settings for every component, read from ``RUNSTREAM_*`` variables in one place.

With nothing set, everything lives under one local directory, ``RUNSTREAM_HOME``
(default ``./.runstream``): the SQLite event log, the chDB data and the artifacts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import Field, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from runstream.errors import InvalidInputError

DEFAULT_HOME = Path(".runstream")


class Settings(BaseSettings):
    """One frozen settings object; see each field for its variable."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_", frozen=True)

    home: Path = DEFAULT_HOME
    """RUNSTREAM_HOME: where embedded data lives."""

    tracking_uri: str = ""
    """RUNSTREAM_TRACKING_URI: where the SDK writes; a local path means the
    embedded SQLite log. Empty means ``<home>/log.sqlite``."""

    clickhouse: str = ""
    """RUNSTREAM_CLICKHOUSE: ``chdb:///path``; empty means ``chdb://<home>/chdb``."""

    clickhouse_database: str = "runstream"
    """RUNSTREAM_CLICKHOUSE_DATABASE: the database holding the projections."""

    artifacts: str = ""
    """RUNSTREAM_ARTIFACTS: ``file:///path``; empty means ``<home>/artifacts``."""

    partitions: int = Field(default=8, ge=1)
    """RUNSTREAM_PARTITIONS: partitions per topic of the embedded log."""

    api_url: str = "http://127.0.0.1:5000"
    """RUNSTREAM_API_URL: where the dashboard finds the query API."""

    dashboard_url: str = "http://127.0.0.1:8501"
    """RUNSTREAM_DASHBOARD_URL: where ``GET /`` of the API redirects."""

    flush_interval_s: float = Field(default=0.2, gt=0)
    """RUNSTREAM_FLUSH_INTERVAL_S: how often the SDK's sender thread sends."""

    # 500,000 keeps the peak with the log down near 125 MB (1,000,000 reached
    # 190-258 MB, past the 256 MB budget in one bench run: docs/performance.md).
    max_buffer_points: int = Field(default=500_000, ge=1)
    """RUNSTREAM_MAX_BUFFER_POINTS: metric points the SDK holds in memory before a
    logging call waits for the sender."""

    consumer_group: str = "runstream-projections"
    """RUNSTREAM_CONSUMER_GROUP: the consumer group the projections commit under."""

    run_id: str = ""
    """RUNSTREAM_RUN_ID: the run ``start_run()`` resumes, so every worker of a
    distributed job logs into the run its launcher started."""

    system_metrics: bool = False
    """RUNSTREAM_SYSTEM_METRICS: log CPU, memory, disk, network and GPU use as
    ``system/...`` metrics for every run (``start_run(log_system_metrics=...)``
    decides per run)."""

    system_metrics_interval_s: float = Field(default=10.0, gt=0)
    """RUNSTREAM_SYSTEM_METRICS_INTERVAL_S: seconds between system metric samples."""

    api_timeout_s: float = Field(default=30.0, gt=0)
    """RUNSTREAM_API_TIMEOUT_S: how long one SDK read from the query API may take."""

    write_wait_s: float = Field(default=10.0, ge=0)
    """RUNSTREAM_WRITE_WAIT_S: how long a write through the API (the MLflow REST
    endpoints) waits for the projection to apply it, so the writer reads its own
    write; past it the answer says the write is still pending."""

    registry_wait_s: float = Field(default=10.0, gt=0)
    """RUNSTREAM_REGISTRY_WAIT_S: how long an SDK registry call (register_model,
    transition_model_version_stage, ...) waits for ``runstream server`` to project
    its event before it raises ProjectionTimeoutError."""

    log_down_wait_s: float = Field(default=10.0, ge=0)
    """RUNSTREAM_LOG_DOWN_WAIT_S: how long ``end_run``, ``flush`` and the process's
    exit wait for an event log that has failed every append for that long before
    they stop waiting: the events stay queued, retried in the background while the
    process runs, and what is left at exit waits on disk (RUNSTREAM_SPILL_DIR)."""

    spill_dir: Path | None = None
    """RUNSTREAM_SPILL_DIR: where the SDK writes events it could not deliver once
    its memory bound is reached; empty means ``<home>/spill``."""

    token: SecretStr | None = None
    """RUNSTREAM_TOKEN: the bearer token the SDK (reads, the ``http://`` transport,
    ``runstream replay``) and the dashboard send to an API that requires one."""

    def spill_location(self) -> Path:
        return self.spill_dir or self.home / "spill"

    def log_location(self) -> str:
        return self.tracking_uri or str(self.home / "log.sqlite")

    def clickhouse_location(self) -> str:
        return self.clickhouse or f"chdb://{(self.home / 'chdb').resolve()}"

    def artifacts_location(self) -> str:
        if self.artifacts:
            return self.artifacts
        # Beside a local log by default, so a log and its large artifacts (those
        # too big to travel inside events) stay together when the log is moved.
        log = self.log_location()
        if "://" not in log or log.startswith("file://"):
            root = Path(log.removeprefix("file://")).parent
        else:
            root = self.home
        return f"file://{(root / 'artifacts').resolve()}"


class KafkaSettings(BaseSettings):
    """How the Kafka transport produces, consumes and creates topics. The brokers
    come from the location, ``kafka://host:port[,host:port...]``."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_KAFKA_", frozen=True)

    replication_factor: int = Field(default=1, ge=1)
    """RUNSTREAM_KAFKA_REPLICATION_FACTOR: replicas of each topic runstream creates
    (partitions come from RUNSTREAM_PARTITIONS)."""

    compression: str = "lz4"
    """RUNSTREAM_KAFKA_COMPRESSION: lz4, zstd (needs the zstandard package), gzip
    or none."""

    linger_ms: int = Field(default=20, ge=0)
    """RUNSTREAM_KAFKA_LINGER_MS: how long the producer waits to fill a batch."""

    batch_size: int = Field(default=1 << 20, ge=1024)
    """RUNSTREAM_KAFKA_BATCH_SIZE: bytes per producer batch and partition."""

    max_message_bytes: int = Field(default=16 << 20, ge=1 << 20)
    """RUNSTREAM_KAFKA_MAX_MESSAGE_BYTES: the largest event; artifacts up to 4 MiB
    travel inside events, above Kafka's 1 MiB default, so topics are created
    with this limit."""

    request_timeout_ms: int = Field(default=10_000, ge=1000)
    """RUNSTREAM_KAFKA_REQUEST_TIMEOUT_MS: one request to a broker."""

    delivery_timeout_ms: int = Field(default=30_000, ge=1000)
    """RUNSTREAM_KAFKA_DELIVERY_TIMEOUT_MS: how long one append may take before it
    fails; the SDK then retries or spills to disk."""

    session_timeout_ms: int = Field(default=10_000, ge=1000)
    """RUNSTREAM_KAFKA_SESSION_TIMEOUT_MS: how soon the group hands the partitions
    of a consumer that stopped answering to the others."""

    max_poll_records: int = Field(default=2000, ge=1)
    """RUNSTREAM_KAFKA_MAX_POLL_RECORDS: records one consumer batch holds at most."""

    security_protocol: str = "PLAINTEXT"
    """RUNSTREAM_KAFKA_SECURITY_PROTOCOL: PLAINTEXT, SSL, SASL_PLAINTEXT or
    SASL_SSL."""

    sasl_mechanism: str | None = None
    """RUNSTREAM_KAFKA_SASL_MECHANISM: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512."""

    sasl_username: str | None = None
    """RUNSTREAM_KAFKA_SASL_USERNAME."""

    sasl_password: SecretStr | None = None
    """RUNSTREAM_KAFKA_SASL_PASSWORD."""

    ssl_cafile: str | None = None
    """RUNSTREAM_KAFKA_SSL_CAFILE: CA bundle that signed the brokers' certificates."""

    ssl_certfile: str | None = None
    """RUNSTREAM_KAFKA_SSL_CERTFILE: client certificate, for mutual TLS."""

    ssl_keyfile: str | None = None
    """RUNSTREAM_KAFKA_SSL_KEYFILE: the client certificate's key."""


class ClickHouseSettings(BaseSettings):
    """How to reach a ClickHouse server (``RUNSTREAM_CLICKHOUSE=http(s)://…``)."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_CLICKHOUSE_", frozen=True)

    user: str = "default"
    """RUNSTREAM_CLICKHOUSE_USER."""

    password: SecretStr = SecretStr("")
    """RUNSTREAM_CLICKHOUSE_PASSWORD."""

    verify: bool = True
    """RUNSTREAM_CLICKHOUSE_VERIFY: check the server's TLS certificate (https)."""

    ca_cert: str | None = None
    """RUNSTREAM_CLICKHOUSE_CA_CERT: CA bundle for a server with a private CA."""

    cluster: str | None = None
    """RUNSTREAM_CLICKHOUSE_CLUSTER: create Replicated*MergeTree tables on every
    node of this cluster, read and written through Distributed tables."""


class S3Settings(BaseSettings):
    """How to reach MinIO or S3 (``RUNSTREAM_ARTIFACTS=s3://bucket/prefix``)."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_S3_", frozen=True)

    endpoint: str = "127.0.0.1:9000"
    """RUNSTREAM_S3_ENDPOINT: host:port of MinIO or S3 (s3.amazonaws.com)."""

    access_key: str = ""
    """RUNSTREAM_S3_ACCESS_KEY."""

    secret_key: SecretStr = SecretStr("")
    """RUNSTREAM_S3_SECRET_KEY."""

    secure: bool = False
    """RUNSTREAM_S3_SECURE: use https."""

    region: str | None = None
    """RUNSTREAM_S3_REGION."""

    part_size: int = Field(default=16 << 20, ge=5 << 20)
    """RUNSTREAM_S3_PART_SIZE: bytes per part of a multipart upload (5 MiB at
    least, as S3 requires); files larger than one part go up in parts."""

    write_attempts: int = Field(default=6, ge=1)
    """RUNSTREAM_S3_WRITE_ATTEMPTS: tries of each write (an upload, creating the
    bucket) while the store cannot be reached, before the write fails."""

    retry_backoff_s: float = Field(default=0.5, gt=0)
    """RUNSTREAM_S3_RETRY_BACKOFF_S: the wait after a write's first failed try;
    it doubles after each further one, up to 8 s (defaults: about 15 s in all)."""

    ping_timeout_s: float = Field(default=1.0, gt=0)
    """RUNSTREAM_S3_PING_TIMEOUT_S: how long the health check waits for the store."""


@dataclass(frozen=True)
class Ranks:
    """Where this process stands in a distributed job; (0, 1, 0) when alone."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0


# Launchers name the rank differently; torchrun's names come first.
_RANK_VARIABLES = ("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID")
_WORLD_VARIABLES = ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS")
_LOCAL_VARIABLES = ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID")


def detect_ranks(environ: Mapping[str, str] | None = None) -> Ranks:
    """Read the rank, world size and local rank that launchers (torchrun, MPI,
    SLURM) set; a variable that is missing or not a number counts as unset."""
    env = os.environ if environ is None else environ

    def first(names: tuple[str, ...], default: int) -> int:
        for name in names:
            value = env.get(name, "").strip()
            if value.isdigit():
                return int(value)
        return default

    rank = first(_RANK_VARIABLES, 0)
    return Ranks(
        rank, max(first(_WORLD_VARIABLES, 1), rank + 1), first(_LOCAL_VARIABLES, 0)
    )


AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def read_settings(cls: type[AnySettings], **overrides: Any) -> AnySettings:
    """Build ``cls`` from the environment (keyword arguments override single
    fields); a value that does not fit raises InvalidInputError naming the
    variable, what it holds and what it should hold."""
    try:
        return cls(**overrides)
    except ValidationError as e:
        problems = [_describe(cls, error) for error in e.errors()]
        raise InvalidInputError("\n".join(problems)) from e


def _describe(cls: type[BaseSettings], error: ErrorDetails) -> str:
    """One line for one field pydantic refused: the variable, its value unless
    it is a secret, pydantic's expectation and how to fix it."""
    prefix = str(cls.model_config.get("env_prefix", "RUNSTREAM_"))
    name = str(error["loc"][0]) if error["loc"] else ""
    field = cls.model_fields.get(name)
    variable = (prefix + name).upper() if name else f"a {prefix}* variable"

    # pydantic says "Input should be a valid number, ..."; keep what follows.
    expected = error["msg"].removeprefix("Input should be ")
    expected = expected.removeprefix("Value error, ")
    # A refusal of the whole object carries every value as its input, secrets too.
    secret = field is None or _is_secret(field.annotation)
    shown = "(value hidden)" if secret else repr(str(error.get("input", "")))
    default = ""
    if field is not None and not secret and field.default not in (None, ""):
        default = f" (default {field.default})"
    return (
        f"{variable}={shown} is not a valid setting: it should be {expected}. "
        f"Set {variable} to such a value, or unset it{default}."
    )


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def load_settings(**overrides: object) -> Settings:
    """Read the environment now; keyword arguments override single fields."""
    return read_settings(Settings, **overrides)


class DashboardSettings(BaseSettings):
    """How the dashboard draws and refreshes; where the API lives is shared with
    the other components (RUNSTREAM_API_URL)."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_DASHBOARD_", frozen=True)

    api_url: str = ""
    """Where the query API lives; ``load_dashboard_settings`` fills it from
    RUNSTREAM_API_URL, the variable every component shares."""

    refresh_s: float = Field(default=2.0, gt=0)
    """RUNSTREAM_DASHBOARD_REFRESH_S: how often a RUNNING run's page refreshes."""

    health_refresh_s: float = Field(default=10.0, gt=0)
    """RUNSTREAM_DASHBOARD_HEALTH_REFRESH_S: how often the sidebar's health panel
    refreshes."""

    max_points: int = Field(default=1000, ge=10)
    """RUNSTREAM_DASHBOARD_MAX_POINTS: points asked for per chart; the API
    downsamples longer series to this many."""

    default_charts: int = Field(default=12, ge=1)
    """RUNSTREAM_DASHBOARD_DEFAULT_CHARTS: metric keys charted before the user
    picks; a run with hundreds of keys would otherwise draw hundreds of charts."""

    timeout_s: float = Field(default=5.0, gt=0)
    """RUNSTREAM_DASHBOARD_TIMEOUT_S: how long one API request may take."""

    token: SecretStr | None = None
    """The bearer token the dashboard sends; ``load_dashboard_settings`` fills it
    from RUNSTREAM_TOKEN, the variable the SDK reads too."""


def load_kafka_settings() -> KafkaSettings:
    """Read the environment now."""
    return read_settings(KafkaSettings)


def load_clickhouse_settings() -> ClickHouseSettings:
    """Read the environment now."""
    return read_settings(ClickHouseSettings)


def load_s3_settings() -> S3Settings:
    """Read the environment now."""
    return read_settings(S3Settings)


def load_dashboard_settings() -> DashboardSettings:
    """Read the environment now."""
    shared = load_settings()
    return read_settings(
        DashboardSettings, api_url=shared.api_url.rstrip("/"), token=shared.token
    )


class ApiSettings(BaseSettings):
    """Limits of the query API (``runstream server``)."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_API_", frozen=True)

    max_body_bytes: int = Field(default=64 << 20, ge=1024)
    """RUNSTREAM_API_MAX_BODY_BYTES: the largest request body the API reads; a
    larger one is answered 413. Room for the biggest event batch the ``http://``
    transport sends."""

    max_upload_bytes: int = Field(default=1 << 30, ge=1024)
    """RUNSTREAM_API_MAX_UPLOAD_BYTES: the largest artifact file (or multipart part)
    PUT through the MLflow artifact proxy; the proxy holds one in memory."""


class AuthSettings(BaseSettings):
    """Who may call the API; with neither variable set, anyone may (the
    embedded default). See docs/security.md for the formats."""

    model_config = SettingsConfigDict(env_prefix="RUNSTREAM_AUTH_", frozen=True)

    tokens: SecretStr | None = None
    """RUNSTREAM_AUTH_TOKENS: ``role:name:token`` entries separated by commas."""

    tokens_file: Path | None = None
    """RUNSTREAM_AUTH_TOKENS_FILE: a file of ``role name token`` lines; a token may
    be given as ``sha256:<hex digest>`` so the file holds no usable secret."""


def load_api_settings() -> ApiSettings:
    """Read the environment now."""
    return read_settings(ApiSettings)


def load_auth_settings() -> AuthSettings:
    """Read the environment now."""
    return read_settings(AuthSettings)
