"""MLflow's rules for keys and values, checked before anything is buffered.

The consumers check events against the same rules again (``consumers/rules.py``):
an event that breaks one goes to the dead-letter topic instead of a table.
"""

from __future__ import annotations

import numbers
import re
import reprlib
from collections.abc import Iterable, Sequence
from posixpath import normpath
from typing import Any

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


# Reprs in messages are cut short: a list of a million items is not printed whole.
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def describe(value: object) -> str:
    """A wrong value for a message: its type, then a short repr."""
    return f"{type(value).__name__} {_SHORT.repr(value)}"


def wrong_type(
    call: str,
    argument: str,
    expected: str,
    value: object,
    where: str = "",
    fix: str = "",
) -> InvalidInputError:
    """The error for an argument of the wrong type, such as ``log_params for run
    abc takes params as a mapping ...; got list [1, 2]``. ``where`` names the run
    or experiment (" for run abc"); ``fix``, if given, ends the message."""
    return InvalidInputError(
        f"{call}{where} takes {argument} as {expected}; got {describe(value)}"
        + (f"; {fix}" if fix else "")
    )


def mapping_items(
    call: str, argument: str, value: object, where: str = ""
) -> Iterable[tuple[Any, Any]]:
    """``value.items()``, or InvalidInputError if ``value`` is not a mapping.

    Anything with ``items()`` passes (a pandas Series too, as MLflow takes it).
    """
    items = getattr(value, "items", None)
    if not callable(items):
        raise wrong_type(
            call, argument, "a mapping of names to values, such as a dict", value, where
        )
    return items()  # type: ignore[no-any-return]


def check_run_id(run_id: object) -> str:
    """A run id must be a non-empty string: the sender cannot encode another
    type, and would find out only on its own thread, after the call returned."""
    if isinstance(run_id, str) and run_id.strip():
        return run_id
    raise InvalidInputError(
        f"run id {run_id!r} must be a non-empty string, e.g. run.info.run_id; "
        f"got {type(run_id).__name__}"
    )


def check_experiment_id(experiment_id: object) -> str:
    """Experiment ids are strings of digits; an int is taken as its digits."""
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        return str(experiment_id)
    if isinstance(experiment_id, str) and experiment_id.strip():
        return experiment_id
    raise InvalidInputError(
        f"experiment id {experiment_id!r} must be a non-empty string (or an int), "
        "such as the one create_experiment returned; got "
        f"{type(experiment_id).__name__}"
    )


def check_key(kind: str, key: object, run_id: str, owner: str = "run") -> str:
    """Return ``key`` if it is a valid metric/param/tag key, else raise."""
    if type(key) is str and key in _VALID_KEYS:
        return key
    if not isinstance(key, str) or not key:
        raise InvalidInputError(
            f"{kind} key {key!r} for {owner} {run_id} must be a non-empty string; "
            f"got {type(key).__name__}"
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
    number = _one_number(value)
    if number is not None:
        return number
    raise InvalidInputError(
        f"metric {key!r} for run {run_id} got {type(value).__name__} value "
        f"{value!r:.60}; metric values must be numbers (int or float, or an array "
        "or tensor of one number)"
    )


def _one_number(value: object) -> float | None:
    """What MLflow also takes as a metric value: a one-element numpy array or
    torch tensor (by ``.item()``), or a number outside ``numbers.Real`` such as
    Decimal. None for anything else: text, complex numbers, longer arrays."""
    if isinstance(value, (str, bytes, numbers.Complex)):
        return None
    item = getattr(value, "item", None)
    try:
        if callable(item):
            value = item()
            return float(value) if isinstance(value, numbers.Real) else None
        if hasattr(type(value), "__float__"):
            return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        pass
    return None


def check_int64(name: str, key: str, value: object, run_id: str) -> int:
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
        if -(2**63) <= number < 2**63:
            return number
    raise InvalidInputError(
        f"{name} {value!r} of metric {key!r} for run {run_id} must be an int64 "
        f"(an int); got {type(value).__name__}"
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
        raise InvalidInputError(
            f"experiment name {name!r} must be a non-empty string; got "
            f"{type(name).__name__}"
        )
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidInputError(
            f"experiment name {name[:40]!r}... has {len(name)} characters; "
            f"the limit is {MAX_EXPERIMENT_NAME_LENGTH}"
        )
    return name
