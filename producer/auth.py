"""Bearer tokens and their roles, for an API that requires them.

Three roles, each including the one before: ``read`` < ``write`` < ``admin``. The
server learns its tokens from RUNSTREAM_AUTH_TOKENS (``role:name:token`` entries
separated by commas) and RUNSTREAM_AUTH_TOKENS_FILE (``role name token`` lines,
``#`` comments). A token may be given as ``sha256:<hex digest>``, so the file need
not hold a usable secret. Only digests are kept in memory, and a presented token is
compared with ``hmac.compare_digest`` against every known digest.

Clients (the SDK, the dashboard, ``runstream replay``) send RUNSTREAM_TOKEN as
``Authorization: Bearer <token>``; see :func:`bearer_headers`.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from runstream.errors import InvalidInputError
from runstream.settings import AuthSettings

logger = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 16
DIGEST_PREFIX = "sha256:"
_MAKE_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class Role(enum.IntEnum):
    """What a token may do; a higher role includes every lower one."""

    READ = 1
    WRITE = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Principal:
    """Who a token belongs to: the name and role its entry gave."""

    name: str
    role: Role


@dataclass(frozen=True)
class _Entry:
    digest: bytes
    principal: Principal


def token_digest(token: str) -> bytes:
    """The SHA-256 digest a tokens file may hold instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenTable:
    """The tokens an API accepts. Empty means authentication is off."""

    def __init__(self, entries: tuple[_Entry, ...] = ()) -> None:
        self._entries = entries

    @classmethod
    def load(cls, settings: AuthSettings) -> TokenTable:
        """Read RUNSTREAM_AUTH_TOKENS and RUNSTREAM_AUTH_TOKENS_FILE; raise
        InvalidInputError naming the entry (never the token) that is wrong."""
        entries: list[_Entry] = []
        if settings.tokens is not None:
            text = settings.tokens.get_secret_value()
            for number, item in enumerate(text.split(","), start=1):
                if item.strip():
                    where = f"RUNSTREAM_AUTH_TOKENS entry {number}"
                    entries.append(_parse(item.strip().split(":", 2), where))
        if settings.tokens_file is not None:
            entries.extend(_read_file(settings.tokens_file))

        digests = [entry.digest for entry in entries]
        if len(set(digests)) != len(digests):
            raise InvalidInputError(
                "the same token is listed twice in RUNSTREAM_AUTH_TOKENS(_FILE); give "
                "each name its own token"
            )
        table = cls(tuple(entries))
        if entries:
            roles = ", ".join(sorted({e.principal.role.label for e in entries}))
            logger.info("authentication on tokens=%d roles=%s", len(entries), roles)
        return table

    @property
    def enabled(self) -> bool:
        return bool(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"TokenTable(tokens={len(self._entries)})"

    def with_token(self, token: str, role: Role, name: str) -> TokenTable:
        """This table and one more token (``runstream server`` adds the
        dashboard's this way)."""
        entry = _parse([role.label, name, token], f"the token of {name!r}")
        return TokenTable((*self._entries, entry))

    def authenticate(self, token: str) -> Principal | None:
        """The owner of ``token``, or None when no entry holds it."""
        presented = token_digest(token)
        found = None
        # Every entry is compared, so the time taken does not tell which matched.
        for entry in self._entries:
            if hmac.compare_digest(entry.digest, presented):
                found = entry.principal
        return found


def bearer_headers(token: SecretStr | None) -> dict[str, str]:
    """The ``Authorization`` header that carries ``token``; none without one."""
    if token is None or not token.get_secret_value():
        return {}
    return {"Authorization": f"Bearer {token.get_secret_value()}"}


def _read_file(path: Path) -> list[_Entry]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InvalidInputError(
            f"cannot read RUNSTREAM_AUTH_TOKENS_FILE={str(path)!r}: {e.strerror}; "
            "point it at a readable file of 'role name token' lines"
        ) from e
    entries = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            entries.append(_parse(text.split(), f"{path} line {number}"))
    return entries


def _parse(fields: list[str], where: str) -> _Entry:
    """One entry from its fields: role, name, token (or sha256:<hex>)."""
    if len(fields) != 3 or not all(fields):
        raise InvalidInputError(
            f"{where} must be three fields, role, name and token (or "
            f"{DIGEST_PREFIX}<hex>); the file form is 'role name token', the "
            "variable's 'role:name:token'"
        )
    role_text, name, token = fields
    try:
        role = Role[role_text.upper()]
    except KeyError:
        raise InvalidInputError(
            f"{where} has role {role_text!r}; use read, write or admin"
        ) from None
    return _Entry(_digest(token, where), Principal(name, role))


def _digest(token: str, where: str) -> bytes:
    if token.startswith(DIGEST_PREFIX):
        try:
            digest = bytes.fromhex(token.removeprefix(DIGEST_PREFIX))
        except ValueError:
            digest = b""
        if len(digest) != hashlib.sha256().digest_size:
            raise InvalidInputError(
                f"{where}: a {DIGEST_PREFIX} token must be 64 hex digits, the "
                "SHA-256 of the token (sha256sum of it without a newline)"
            )
        return digest
    if len(token) < MIN_TOKEN_LENGTH:
        raise InvalidInputError(
            f"{where}: the token is shorter than {MIN_TOKEN_LENGTH} characters; "
            f"make one with {_MAKE_TOKEN}"
        )
    return token_digest(token)
