"""Strict JSON for request bodies: bounded depth, no duplicate keys, no NUL, located errors.

Python's ``json`` recurses once per nesting level (a 2 KB body 1,000 levels
deep raises ``RecursionError``), keeps the last of two equal keys silently,
accepts ``NaN``/``Infinity`` and ``"\\u0000"``. :func:`loads_strict` refuses
all of these with an :class:`InvalidJSONError` whose issues say where: a JSON
pointer for what parsed, a line and column for what did not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting accepted; GeoJSON needs 6 (a MultiPolygon in a Feature in a collection)."""

# A JSON string, unrolled so the regex engine does not backtrack per character.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class JSONProblem:
    """One thing wrong with a JSON text: where (pointer, or line and column) and why."""

    pointer: str
    reason: str
    code: str
    line: int | None = None
    column: int | None = None


class InvalidJSONError(ValueError):
    """The body is not JSON this service accepts; ``problem`` says what and where."""

    def __init__(self, problem: JSONProblem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def loads_strict(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text`` as RFC 8259 JSON with the limits of this service.

    Examples
    --------
    >>> loads_strict('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> loads_strict('{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    service.web.strict_json.InvalidJSONError: duplicate key 'a'
    """
    if isinstance(text, bytes | bytearray):
        text = _decode(bytes(text))
    _check_depth(text, max_depth)
    duplicates: list[str] = []
    try:
        doc = json.loads(
            text, parse_constant=_NonFinite, object_pairs_hook=_unique_keys(duplicates)
        )
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(
            JSONProblem(
                "/",
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                "bad-json",
                exc.lineno,
                exc.colno,
            )
        ) from None
    if duplicates or "\\u0000" in text or _SURROGATE.search(text) or _CONSTANTS.search(text):
        # Only walk the document when the text can hold what the walk looks for.
        _check_values(doc)
    return doc


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidJSONError(
            JSONProblem("/", f"not UTF-8 (bad byte at offset {exc.start})", "bad-encoding")
        ) from None


def _check_depth(text: str, max_depth: int) -> None:
    # Linear and without recursion: strip strings, keep only the brackets,
    # then peel the innermost empty pairs once per level (bytes methods run
    # in C; a regex per bracket took seconds on a 25 MB collection). A body
    # still holding a pair after ``max_depth`` peels nests too deep.
    brackets = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    brackets = brackets.translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        peeled = brackets.replace(b"[]", b"..").replace(b"{}", b"..").translate(None, b".")
        if not peeled or len(peeled) == len(brackets):
            return
        brackets = peeled
    if b"[]" in brackets or b"{}" in brackets:
        raise InvalidJSONError(
            JSONProblem("/", f"nested deeper than {max_depth} levels", "too-deep")
        )


class _NonFinite(str):
    """``NaN``/``Infinity`` as parsed: kept as a marker, refused after parsing with its pointer."""


# Cheap pre-check before walking the document for a marker.
_CONSTANTS = re.compile(r"NaN|Infinity")


class _DuplicateKeys(dict[str, Any]):
    """An object that held a key twice; found again after parsing for its pointer."""

    duplicate: str = ""


def _unique_keys(seen: list[str]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        marked = _DuplicateKeys(pairs)
        marked.duplicate = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
        seen.append(marked.duplicate)
        return marked

    return hook


def _check_values(doc: Any) -> None:
    for pointer, value in _walk(doc):
        if isinstance(value, _NonFinite):
            raise InvalidJSONError(_non_finite(pointer, value))
        if isinstance(value, _DuplicateKeys):
            raise InvalidJSONError(
                JSONProblem(pointer or "/", f"duplicate key {value.duplicate!r}", "duplicate-key")
            )
        if isinstance(value, str) and "\x00" in value:
            raise InvalidJSONError(
                JSONProblem(pointer or "/", "the text holds a NUL character (\\u0000)", "nul")
            )
        if isinstance(value, str) and _has_lone_surrogate(value):
            raise InvalidJSONError(
                JSONProblem(
                    pointer or "/", "a lone UTF-16 surrogate escape is not text", "bad-encoding"
                )
            )


def _non_finite(pointer: str, token: str) -> JSONProblem:
    reason = f"{token} is not a JSON number (RFC 8259)"
    if "/coordinates/" in pointer:
        # As the geometry gate says it: the code, and the position (not its axis).
        return JSONProblem(pointer.rsplit("/", 1)[0], reason, "non-finite-coordinate")
    return JSONProblem(pointer or "/", reason, "non-finite-number")


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(doc: Any) -> Iterator[tuple[str, Any]]:
    # Iterative, so depth never meets the recursion limit; keys are walked too
    # (a NUL or surrogate in a key is as unstorable as in a value).
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        pointer, value = stack.pop()
        yield pointer, value
        if isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                child = f"{pointer}/{_escape(key)}"
                yield child, key
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{i}", item) for i, item in reversed(list(enumerate(value))))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
