"""The token table: formats, digests, refusals that never echo a token, and the
role each route needs."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from pydantic import SecretStr

from runstream.api.auth import presented_token, required_role
from runstream.auth import Principal, Role, TokenTable, bearer_headers
from runstream.errors import InvalidInputError
from runstream.settings import AuthSettings

READER = "reader-token-0123456789"
WRITER = "writer-token-0123456789"
ADMIN = "admin-token-0123456789ab"


def table(tokens: str | None = None, tokens_file: Path | None = None) -> TokenTable:
    secret = SecretStr(tokens) if tokens is not None else None
    return TokenTable.load(AuthSettings(tokens=secret, tokens_file=tokens_file))


def test_off_without_tokens() -> None:
    assert not table().enabled
    assert table().authenticate(READER) is None


def test_environment_entries() -> None:
    tokens = table(f"read:dash:{READER}, write:ci:{WRITER},admin:ops:{ADMIN}")
    assert tokens.enabled and len(tokens) == 3
    assert tokens.authenticate(READER) == Principal("dash", Role.READ)
    assert tokens.authenticate(WRITER) == Principal("ci", Role.WRITE)
    assert tokens.authenticate(ADMIN) == Principal("ops", Role.ADMIN)
    assert tokens.authenticate(READER + "x") is None
    assert tokens.authenticate("") is None


def test_token_may_hold_colons() -> None:
    tokens = table(f"write:ci:{WRITER}:with:colons")
    assert tokens.authenticate(f"{WRITER}:with:colons") == Principal("ci", Role.WRITE)


def test_file_with_comments_and_digests(tmp_path: Path) -> None:
    digest = hashlib.sha256(ADMIN.encode()).hexdigest()
    path = tmp_path / "tokens"
    path.write_text(
        "# role name token\n"
        f"read  dashboard {READER}   # the dashboard\n"
        "\n"
        f"admin ops sha256:{digest}\n"
    )
    tokens = table(tokens_file=path)
    assert tokens.authenticate(READER) == Principal("dashboard", Role.READ)
    assert tokens.authenticate(ADMIN) == Principal("ops", Role.ADMIN)
    # The digest itself is no token.
    assert tokens.authenticate(f"sha256:{digest}") is None


def test_file_and_environment_add_up(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"read dash {READER}\n")
    tokens = table(f"write:ci:{WRITER}", path)
    assert len(tokens) == 2
    assert tokens.authenticate(WRITER) == Principal("ci", Role.WRITE)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (f"reader dash {READER}", "use read, write or admin"),
        (f"read {READER}", "three fields"),
        ("read dash short", "shorter than 16"),
        ("read dash sha256:abc", "64 hex digits"),
    ],
)
def test_bad_file_lines_are_named_without_the_token(
    tmp_path: Path, line: str, says: str
) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"# header\n{line}\n")
    with pytest.raises(InvalidInputError) as raised:
        table(tokens_file=path)
    message = str(raised.value)
    assert says in message
    assert f"{path} line 2" in message
    assert READER not in message and line not in message


def test_bad_environment_entry_and_duplicates() -> None:
    with pytest.raises(InvalidInputError, match="RUNSTREAM_AUTH_TOKENS entry 2"):
        table(f"read:dash:{READER},bogus")
    with pytest.raises(InvalidInputError, match="listed twice") as raised:
        table(f"read:a:{READER},admin:b:{READER}")
    assert READER not in str(raised.value)


def test_missing_file() -> None:
    with pytest.raises(InvalidInputError, match="cannot read RUNSTREAM_AUTH_TOKENS"):
        table(tokens_file=Path("/nonexistent/tokens"))


def test_repr_holds_no_token() -> None:
    tokens = table(f"read:dash:{READER}").with_token(WRITER, Role.WRITE, "extra")
    assert repr(tokens) == "TokenTable(tokens=2)"
    assert tokens.authenticate(WRITER) == Principal("extra", Role.WRITE)


def test_bearer_headers() -> None:
    assert bearer_headers(None) == {}
    assert bearer_headers(SecretStr("")) == {}
    assert bearer_headers(SecretStr(READER)) == {"Authorization": f"Bearer {READER}"}


def test_presented_token() -> None:
    assert presented_token(f"Bearer {READER}") == READER
    assert presented_token(f"bearer   {READER} ") == READER
    basic = base64.b64encode(f"anyone:{WRITER}".encode()).decode()
    assert presented_token(f"Basic {basic}") == WRITER
    assert presented_token("Basic !!!notbase64") is None
    assert presented_token("Basic " + base64.b64encode(b"nopassword").decode()) is None
    assert presented_token("Bearer") is None
    assert presented_token(f"Token {READER}") is None


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/api/v1/health", None),
        ("GET", "/", None),
        ("POST", "/api/v1/health", Role.WRITE),
        ("GET", "/api/v1/runs", Role.READ),
        ("GET", "/docs", Role.READ),
        ("POST", "/api/v1/runs/search", Role.READ),
        ("POST", "/api/2.0/mlflow/runs/search", Role.READ),
        ("POST", "/api/2.0/mlflow/registered-models/get-latest-versions", Role.READ),
        ("POST", "/api/v1/events", Role.WRITE),
        ("POST", "/api/2.0/mlflow/runs/log-batch", Role.WRITE),
        ("POST", "/api/2.0/mlflow/runs/delete", Role.WRITE),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/a", Role.WRITE),
        ("POST", "/api/2.0/mlflow-artifacts/mpu/create/a", Role.WRITE),
        ("POST", "/api/v1/replays", Role.ADMIN),
        ("GET", "/api/v1/replays/abc", Role.READ),
        ("GET", "/api/v1/states", Role.READ),
        ("DELETE", "/api/v1/states/before_fix", Role.ADMIN),
    ],
)
def test_required_role(method: str, path: str, role: Role | None) -> None:
    assert required_role(method, path) == role
