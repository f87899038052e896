"""The registry's rules for names, aliases and stages, and where documents live.

The SDK checks them before writing an event; the registry projection checks them
again when it applies one, so an event written by any other producer obeys them
too.
"""

from __future__ import annotations

import re

from runstream.errors import InvalidInputError

DOCUMENT_PREFIX = "registry/"
MAX_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 5_000
MAX_DESCRIPTION_LENGTH = 65_535

STAGES = ("None", "Staging", "Production", "Archived")
# Stages whose other versions archive_existing_versions moves to Archived.
ACTIVE_STAGES = ("Staging", "Production")

# A name becomes a file name in the blob store, so it may not hold a path.
_FORBIDDEN_IN_NAME = re.compile(r"[/\\\x00-\x1f]")
_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_LIKE = re.compile(r"^v\d+$", re.IGNORECASE)


def check_name(name: object, what: str = "registered model name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{what} {name!r} must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{what} {name[:40]!r}... has {len(name)} characters; the limit is "
            f"{MAX_NAME_LENGTH}"
        )
    if _FORBIDDEN_IN_NAME.search(name) or name in (".", ".."):
        raise InvalidInputError(
            f"{what} {name!r} may not contain '/', '\\' or control characters, "
            "nor be '.' or '..'; choose a name such as 'diabetes-regressor'"
        )
    return name


def document_key(name: str) -> str:
    """Where a registered model's document lives in the blob store."""
    return f"{DOCUMENT_PREFIX}{check_name(name)}.json"


def name_of_key(key: str) -> str | None:
    """The model name a document key holds, or None for any other key."""
    if not key.startswith(DOCUMENT_PREFIX) or not key.endswith(".json"):
        return None
    name = key[len(DOCUMENT_PREFIX) : -len(".json")]
    return name if name and "/" not in name else None


def check_alias(alias: object) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise InvalidInputError(
            f"alias {alias!r} must be letters, digits, '_' and '-', such as 'champion'"
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidInputError(f"alias has {len(alias)} characters; the limit is 255")
    if alias.lower() == "latest" or _VERSION_LIKE.match(alias):
        raise InvalidInputError(
            f"alias {alias!r} is reserved: 'latest' and 'v<number>' already name "
            "versions in model URIs; choose another, such as 'champion'"
        )
    return alias


def check_stage(stage: object) -> str:
    """The canonical spelling of a stage; any case is accepted."""
    for known in STAGES:
        if isinstance(stage, str) and stage.lower() == known.lower():
            return known
    raise InvalidInputError(
        f"stage {stage!r} is not one of {', '.join(STAGES)} (any case)"
    )


def check_version(version: object) -> int:
    try:
        number = int(str(version))
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidInputError(
            f"model version {version!r} must be a whole number from 1 up"
        )
    return number


def check_tag(key: object, value: object) -> tuple[str, str]:
    if not isinstance(key, str) or not key or len(key) > MAX_TAG_KEY_LENGTH:
        raise InvalidInputError(
            f"tag key {key!r} must be a non-empty string of at most "
            f"{MAX_TAG_KEY_LENGTH} characters"
        )
    text = str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidInputError(
            f"tag {key!r} has a value of {len(text)} characters; the limit is "
            f"{MAX_TAG_VALUE_LENGTH}"
        )
    return key, text


def check_description(description: object) -> str:
    text = "" if description is None else str(description)
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInputError(
            f"description has {len(text)} characters; the limit is "
            f"{MAX_DESCRIPTION_LENGTH}"
        )
    return text
