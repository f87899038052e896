"""The search filter grammar: text in, a syntax tree out.

    filter      := [comparison (AND comparison)*]
    comparison  := identifier operator value
    identifier  := [entity "."] key          entity: metrics, params, tags, ...
    key         := word | `backticked` | "double-quoted"
    operator    := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := 'string' | "string" | number | "(" string ("," string)* ")"
    order_by    := identifier [ASC | DESC]

Keywords are case-insensitive. Inside a quoted string or key, the quote character
written twice stands for itself (``'it''s'``). The parser knows nothing about
tables: which entities, attributes and operators make sense is the compiler's
business (``compiler.py``). Every node keeps the character position it came from,
so a later error can still point at the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from runstream.errors import FilterSyntaxError

TokenKind = Literal[
    "word", "backtick", "dquote", "squote", "number", "op", "(", ")", ",", "end"
]
Value = str | float | tuple[str | float, ...]

COMPARISON_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
KEYWORD_OPERATORS = ("LIKE", "ILIKE", "IN", "NOT IN")
OPERATOR_LIST = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN or NOT IN"

# A word starts like a name and may go on with the characters MLflow allows in
# keys, so ``metrics.rank0/val-loss`` is one word; anything else needs quotes.
_WORD = re.compile(r"[A-Za-z_][\w./\-]*")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_OPERATOR = re.compile(r"!=|<>|<=|>=|==|=|<|>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class Identifier:
    """``entity.key``; ``entity`` is already normalised (``metric``, ``param``...)."""

    entity: str
    key: str
    position: int


@dataclass(frozen=True, slots=True)
class Comparison:
    identifier: Identifier
    operator: str
    value: Value
    operator_position: int
    value_position: int


@dataclass(frozen=True, slots=True)
class OrderKey:
    identifier: Identifier
    ascending: bool


def syntax_error(
    text: str, position: int, expected: str, found: str
) -> FilterSyntaxError:
    """An error that says where (1-based column and a caret) and what would fit."""
    caret = " " * position + "^"
    message = (
        f"search syntax error at column {position + 1}: expected {expected}, "
        f"found {found}\n    {text}\n    {caret}"
    )
    return FilterSyntaxError(message, text, position, expected)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        char = text[i]
        if char in "(),":
            tokens.append(Token(char, char, i))  # type: ignore[arg-type]
            i += 1
        elif char in "`\"'":
            value, end = _quoted(text, i)
            kind = {"`": "backtick", '"': "dquote", "'": "squote"}[char]
            tokens.append(Token(kind, value, i))  # type: ignore[arg-type]
            i = end
        elif match := _OPERATOR.match(text, i):
            op = {"<>": "!=", "==": "="}.get(match.group(), match.group())
            tokens.append(Token("op", op, i))
            i = match.end()
        elif match := _NUMBER.match(text, i):
            tokens.append(Token("number", match.group(), i))
            i = match.end()
        elif match := _WORD.match(text, i):
            tokens.append(Token("word", match.group(), i))
            i = match.end()
        else:
            raise syntax_error(text, i, "a key, an operator or a value", f"{char!r}")
    tokens.append(Token("end", "", len(text)))
    return tokens


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            raise syntax_error(
                text, start, f"a closing {quote} for the text opened here", "the end"
            )
        parts.append(text[i:end])
        if text.startswith(quote * 2, end):
            parts.append(quote)
            i = end + 2
            continue
        return "".join(parts), end + 1


class _Parser:
    def __init__(self, text: str, entities: Mapping[str, str], default: str):
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0
        self.entities = entities
        self.default = default

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.token
        return token.kind == "word" and token.text.upper() in words

    def fail(self, expected: str) -> FilterSyntaxError:
        token = self.token
        found = "the end of the text" if token.kind == "end" else repr(token.text)
        return syntax_error(self.text, token.position, expected, found)

    def comparisons(self) -> tuple[Comparison, ...]:
        if self.token.kind == "end":
            return ()
        found = [self.comparison()]
        while self.keyword("AND"):
            self.advance()
            found.append(self.comparison())
        if self.keyword("OR"):
            raise self.fail(
                "AND or the end of the filter (OR is not supported: every "
                "comparison must hold; run one search per alternative)"
            )
        if self.token.kind != "end":
            raise self.fail("AND or the end of the filter")
        return tuple(found)

    def comparison(self) -> Comparison:
        identifier = self.identifier()
        op_position = self.token.position
        operator = self.operator()
        value_position = self.token.position
        value = self.tuple_value() if operator in ("IN", "NOT IN") else self.value()
        return Comparison(identifier, operator, value, op_position, value_position)

    def identifier(self) -> Identifier:
        token = self.token
        if token.kind in ("backtick", "dquote"):
            self.advance()
            return Identifier(self.default, token.text, token.position)
        if token.kind != "word" or token.text.upper() in ("AND", "OR", "NOT"):
            raise self.fail(
                "a key such as metrics.loss, params.lr, tags.team or attributes.status"
            )
        self.advance()
        prefix, dot, key = token.text.partition(".")
        if not dot:
            return Identifier(self.default, prefix, token.position)
        entity = self.entities.get(prefix.lower())
        if entity is None:
            known = ", ".join(sorted(set(self.entities)))
            raise syntax_error(
                self.text,
                token.position,
                f"a key that starts with one of {known}",
                repr(prefix),
            )
        if not key:
            # ``metrics.`quoted key``` or ``params."quoted key"``.
            quoted = self.token
            if quoted.kind not in ("backtick", "dquote"):
                raise self.fail(f"a key after {prefix}.")
            self.advance()
            key = quoted.text
        return Identifier(entity, key, token.position)

    def operator(self) -> str:
        token = self.token
        if token.kind == "op":
            self.advance()
            return token.text
        if self.keyword("LIKE", "ILIKE", "IN"):
            return self.advance().text.upper()
        if self.keyword("NOT"):
            self.advance()
            if not self.keyword("IN"):
                raise self.fail("IN after NOT")
            self.advance()
            return "NOT IN"
        raise self.fail(f"an operator ({OPERATOR_LIST})")

    def value(self) -> str | float:
        token = self.token
        if token.kind in ("squote", "dquote"):
            self.advance()
            return token.text
        if token.kind == "number":
            self.advance()
            return float(token.text)
        raise self.fail("a value: a number, or text in single or double quotes")

    def tuple_value(self) -> tuple[str | float, ...]:
        if self.token.kind != "(":
            raise self.fail("'(' opening a list of quoted values, e.g. ('a', 'b')")
        self.advance()
        items: list[str | float] = []
        while True:
            token = self.token
            # Numbers parse here so that the compiler, which knows what the key
            # holds, can say what is wrong: IN on a metric, or unquoted text.
            if token.kind == "number":
                items.append(float(self.advance().text))
            elif token.kind in ("squote", "dquote"):
                items.append(self.advance().text)
            else:
                raise self.fail("a value in quotes")
            if self.token.kind == ",":
                self.advance()
                continue
            if self.token.kind == ")":
                self.advance()
                return tuple(items)
            raise self.fail("',' or ')'")

    def order_key(self) -> OrderKey:
        identifier = self.identifier()
        ascending = True
        if self.keyword("ASC", "DESC"):
            ascending = self.advance().text.upper() == "ASC"
        if self.token.kind != "end":
            raise self.fail("ASC, DESC or the end of the order_by clause")
        return OrderKey(identifier, ascending)


def parse_filter(
    text: str | None, entities: Mapping[str, str], default: str = "attribute"
) -> tuple[Comparison, ...]:
    """The comparisons of ``text``, all of which must hold.

    ``entities`` maps each accepted prefix (lower case) to its entity name; a key
    without a prefix belongs to ``default``.
    """
    if text is None or not text.strip():
        return ()
    return _Parser(text, entities, default).comparisons()


def parse_order_by(
    clause: str, entities: Mapping[str, str], default: str = "attribute"
) -> OrderKey:
    """One order_by item such as ``metrics.loss DESC``."""
    parser = _Parser(clause, entities, default)
    if parser.token.kind == "end":
        raise parser.fail("a key to order by, e.g. 'metrics.loss DESC'")
    return parser.order_key()
