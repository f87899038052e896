"""MLflow's rules for keys and values, checked before anything is buffered.

The consumers check events against the same rules again (``consumers/rules.py``):
an event that breaks one goes to the dead-letter topic instead of a table.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from posixpath import normpath

from runstream.errors import InvalidInputError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6_000
MAX_TAG_VALUE_LENGTH = 5_000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_METRICS_PER_BATCH = 1_000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100

_KEY = re.compile(r"^[\w\-. /]+$")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# Keys already found valid. Training code logs the same few keys millions of
# times, so remembering them takes the regex off the hot path; the bound keeps a
# run that invents a key per step from growing this without limit.
_VALID_KEYS: set[str] = set()
_VALID_KEYS_LIMIT = 100_000


def check_key(kind: str, key: object, run_id: str, owner: str = "run") -> str:
    """Return ``key`` if it is a valid metric/param/tag key, else raise."""
    if type(key) is str and key in _VALID_KEYS:
        return key
    if not isinstance(key, str) or not key:
        raise InvalidInputError(
            f"{kind} key {key!r} for {owner} {run_id} must be a non-empty string"
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} key {key[:40]!r}... for {owner} {run_id} has {len(key)} "
            "characters; "
            f"the limit is {MAX_KEY_LENGTH}"
        )
    if not _KEY.match(key):
        raise InvalidInputError(
            f"{kind} key {key!r} for {owner} {run_id} may only hold letters, digits, "
            "underscores, dashes, periods, slashes and spaces"
        )
    if key.startswith("/") or normpath(key) != key.rstrip("/") or ".." in key:
        raise InvalidInputError(
            f"{kind} key {key!r} for {owner} {run_id} must be a relative path that "
            "does not leave its folder (no leading '/', no '..')"
        )
    if len(_VALID_KEYS) >= _VALID_KEYS_LIMIT:
        _VALID_KEYS.clear()
    _VALID_KEYS.add(key)
    return key


def check_keys(kind: str, keys: Sequence[object], run_id: str) -> None:
    """Check many keys; the common case, all seen before, is one set operation."""
    if not _VALID_KEYS.issuperset(keys):
        for key in keys:
            check_key(kind, key, run_id)


def check_metric_values(
    keys: list[str], values: list[object], run_id: str
) -> list[float]:
    """Check many metric values, as floats; plain floats pass without a copy."""
    kinds = set(map(type, values))
    if kinds <= {float}:
        return values  # type: ignore[return-value]
    return [check_metric_value(k, x, run_id) for k, x in zip(keys, values, strict=True)]


def check_metric_value(key: str, value: object, run_id: str) -> float:
    """Metric values are numbers; NaN and infinities are kept as they are."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[return-value]
    if isinstance(value, numbers.Real):
        return float(value)
    raise InvalidInputError(
        f"metric {key!r} for run {run_id} got {type(value).__name__} value "
        f"{value!r:.60}; metric values must be numbers (int or float)"
    )


def check_int64(name: str, key: str, value: object, run_id: str) -> int:
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
        if -(2**63) <= number < 2**63:
            return number
    raise InvalidInputError(
        f"{name} {value!r} of metric {key!r} for run {run_id} must be an int64"
    )


def check_timestamp(key: str, value: object, run_id: str) -> int:
    number = check_int64("timestamp", key, value, run_id)
    if number < 0:
        raise InvalidInputError(
            f"timestamp {number} of metric {key!r} for run {run_id} must be "
            "milliseconds since the epoch, >= 0"
        )
    return number


def check_text(
    kind: str, key: str, value: object, limit: int, run_id: str, owner: str = "run"
) -> str:
    text = str(value)
    if len(text) > limit:
        raise InvalidInputError(
            f"{kind} {key!r} for {owner} {run_id} has a value of {len(text)} "
            f"characters; the limit is {limit}"
        )
    return text


def check_batch(run_id: str, metrics: int, params: int, tags: int) -> None:
    """A batch holds at most 1,000 metrics, 100 params and 100 tags."""
    for kind, count, limit in (
        ("metrics", metrics, MAX_METRICS_PER_BATCH),
        ("params", params, MAX_PARAMS_PER_BATCH),
        ("tags", tags, MAX_TAGS_PER_BATCH),
    ):
        if count > limit:
            raise InvalidInputError(
                f"a batch for run {run_id} holds {count} {kind}; the limit is "
                f"{limit}, so split it into several batches"
            )


def check_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"experiment name {name!r} must be a non-empty string")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidInputError(
            f"experiment name {name[:40]!r}... has {len(name)} characters; "
            f"the limit is {MAX_EXPERIMENT_NAME_LENGTH}"
        )
    return name
