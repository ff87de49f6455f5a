"""Parse pipeline and activity import rows (CSV dicts or JSON objects).

Every bad value becomes an :class:`~geo.errors.Issue` whose pointer names the
row and column (``/rows/7/amount`` for CSV, ``/records/7/amount`` for JSON),
so the import report lists every problem at once. Numbers follow
:func:`geo.rows.parse_plain_number` (no thousands separators or currency).
Instants are ISO 8601 dates (``2026-07-15``, midnight UTC) or date-times
(``2026-07-15T09:30:00+02:00``; without an offset they are UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from geo.errors import Issue
from geo.plan.model import ACTIVITY_KINDS, PIPELINE_STAGES, Activity, PipelineRecord
from geo.plan.period import MAX_YEAR, MIN_YEAR
from geo.rows import normalise_column, parse_plain_number, parse_rep_id

__all__ = [
    "COLUMNS",
    "PLAN_KINDS",
    "REQUIRED",
    "check_plan_header",
    "parse_instant",
    "parse_plan_row",
]

PLAN_KINDS: tuple[str, ...] = ("pipeline", "activities")
COLUMNS: dict[str, tuple[str, ...]] = {
    "pipeline": (
        "id",
        "account_id",
        "stage",
        "amount",
        "product",
        "created_at",
        "closed_at",
        "rep_id",
        "source",
    ),
    "activities": ("id", "account_id", "rep_id", "kind", "at"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "pipeline": ("id", "account_id", "stage", "created_at"),
    "activities": ("id", "account_id", "rep_id", "kind", "at"),
}
MAX_TEXT_CHARS = 200
_KIND_ALIASES = {"e-mail": "email", "mail": "email", "phone": "call", "meeting": "visit"}


class _Bad(ValueError):
    def __init__(self, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


def check_plan_header(header: Sequence[str], kind: str) -> list[Issue]:
    """Problems with a CSV header: missing required columns (errors), unknown ones (warnings).

    >>> [(i.pointer, i.code) for i in check_plan_header(["id", "stage", "colour"], "pipeline")]
    [('/header', 'required'), ('/header/2', 'unknown-column')]
    """
    names = [normalise_column(h) for h in header]
    issues = []
    missing = [c for c in REQUIRED[kind] if c not in names]
    if missing:
        issues.append(
            Issue("/header", f"required column(s) missing: {', '.join(missing)}", code="required")
        )
    for i, name in enumerate(names):
        if names.index(name) != i:
            issues.append(
                Issue(f"/header/{i}", f"column {name!r} appears twice", code="duplicate-column")
            )
        elif name not in COLUMNS[kind]:
            issues.append(
                Issue(
                    f"/header/{i}",
                    f"unknown column {name[:40]!r} is ignored; known: {', '.join(COLUMNS[kind])}",
                    code="unknown-column",
                )
            )
    return issues


def parse_plan_row(
    values: Mapping[str, object], kind: str, pointer: str, *, warn_unknown: bool = False
) -> tuple[PipelineRecord | Activity | None, list[Issue]]:
    """Typed record from one row, or None with the issues that stop it.

    Parameters
    ----------
    values : mapping
        Column name -> raw value (text from CSV, JSON values from JSON).
    kind : {"pipeline", "activities"}
        Which record the row describes.
    pointer : str
        The row's pointer, e.g. ``/rows/3``; issues append ``/<column>``.
    warn_unknown : bool, default False
        Report members that are not columns as ``unknown-column`` warnings
        (JSON; a CSV header is checked once by :func:`check_plan_header`).

    Returns
    -------
    (record or None, list of Issue)

    Examples
    --------
    >>> row = {"id": "o1", "account_id": "A", "stage": "Won", "amount": "1200",
    ...        "created_at": "2026-01-05", "closed_at": "2026-02-01"}
    >>> rec, issues = parse_plan_row(row, "pipeline", "/rows/1")
    >>> rec.stage, rec.amount, rec.closed_at.isoformat(), issues
    ('won', 1200.0, '2026-02-01T00:00:00+00:00', [])
    >>> parse_plan_row({"id": "o2", "account_id": "A", "stage": "won", "created_at": "2026-01-05"},
    ...                "pipeline", "/rows/2")[1][0].pointer
    '/rows/2/closed_at'
    """
    row = {normalise_column(str(k)): v for k, v in values.items()}
    issues = _unknown(row, kind, pointer) if warn_unknown else []
    parsed: dict[str, Any] = {}
    for column in COLUMNS[kind]:
        try:
            parsed[column] = _CONVERTERS[column](row.get(column), column in REQUIRED[kind])
        except _Bad as bad:
            issues.append(Issue(f"{pointer}/{column}", bad.reason, code=bad.code))
    if kind == "pipeline" and not any(
        i.pointer.endswith(("/stage", "/created_at", "/closed_at")) for i in issues
    ):
        issues += _stage_dates(parsed, pointer)
    if any(i.code != "unknown-column" for i in issues):
        return None, issues
    record = PipelineRecord(**parsed) if kind == "pipeline" else Activity(**parsed)
    return record, issues


def _unknown(row: Mapping[str, object], kind: str, pointer: str) -> list[Issue]:
    return [
        Issue(
            f"{pointer}/{name}", f"unknown member {name[:40]!r} is ignored", code="unknown-column"
        )
        for name in sorted(set(row) - set(COLUMNS[kind]))
    ]


def _stage_dates(parsed: Mapping[str, Any], pointer: str) -> list[Issue]:
    closed, created = parsed["closed_at"], parsed["created_at"]
    if parsed["stage"] in ("won", "lost") and closed is None:
        return [
            Issue(
                f"{pointer}/closed_at",
                f"a {parsed['stage']} record needs closed_at",
                code="required",
            )
        ]
    if parsed["stage"] in ("lead", "opportunity") and closed is not None:
        return [
            Issue(
                f"{pointer}/closed_at",
                f"an open ({parsed['stage']}) record has no closed_at",
                code="invalid",
            )
        ]
    if closed is not None and closed < created:
        return [Issue(f"{pointer}/closed_at", "closed_at is before created_at", code="invalid")]
    return []


def parse_instant(value: object) -> datetime | None:
    """A timezone-aware UTC datetime from an ISO 8601 date or date-time; None if blank.

    >>> parse_instant("2024-02-29T23:30:00-01:00").isoformat()
    '2024-03-01T00:30:00+00:00'
    """
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise _Bad("expected an ISO 8601 date or date-time as text", "wrong-type")
    text = value.strip()
    try:
        instant = (
            datetime.fromisoformat(text) if len(text) > 10 else _midnight(date.fromisoformat(text))
        )
    except ValueError:
        raise _Bad(
            f"{text[:40]!r} is not an ISO 8601 date (2026-07-15) or date-time "
            "(2026-07-15T09:30:00Z)",
            "not-a-date",
        ) from None
    instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise _Bad(f"the year must lie in {MIN_YEAR}..{MAX_YEAR}", "out-of-range")
    return instant


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _required(value: object, required: bool) -> bool:
    """True when the value is blank; raises when it may not be."""
    if _blank(value):
        if required:
            raise _Bad("required", "required")
        return True
    return False


def _text(value: object, required: bool) -> str | None:
    if _required(value, required):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a JSON producer may write an id as a number
    if not isinstance(value, str):
        raise _Bad(f"expected text, got {type(value).__name__}", "wrong-type")
    text = value.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise _Bad(f"{len(text)} characters; at most {MAX_TEXT_CHARS} allowed", "too-long")
    return text


def _choice(
    options: Sequence[str], aliases: Mapping[str, str] = {}
) -> Callable[[object, bool], str | None]:  # noqa: B006
    def convert(value: object, required: bool) -> str | None:
        text = _text(value, required)
        if text is None:
            return None
        word = aliases.get(text.casefold(), text.casefold())
        if word not in options:
            raise _Bad(
                f"unknown value {text[:40]!r}; expected one of {', '.join(options)}",
                "unknown-value",
            )
        return word

    return convert


def _amount(value: object, required: bool) -> float | None:
    if _required(value, required):
        return None
    try:
        number = parse_plain_number(value)
    except ValueError as exc:
        raise _Bad(getattr(exc, "reason", str(exc)), getattr(exc, "code", "not-a-number")) from None
    if number is not None and number < 0:
        raise _Bad("must be 0 or more", "negative")
    if number is not None and number > 1e15:
        raise _Bad("must be at most 1e15", "out-of-range")
    return number


def _rep_id(value: object, required: bool) -> int | None:
    if _required(value, required):
        return None
    try:
        return parse_rep_id(value)
    except ValueError as exc:
        raise _Bad(str(exc), "invalid-id") from exc


def _instant(value: object, required: bool) -> datetime | None:
    if _required(value, required):
        return None
    return parse_instant(value)


_CONVERTERS: dict[str, Callable[[object, bool], Any]] = {
    "id": _text,
    "account_id": _text,
    "product": _text,
    "source": _text,
    "stage": _choice(PIPELINE_STAGES),
    "kind": _choice(ACTIVITY_KINDS, _KIND_ALIASES),
    "amount": _amount,
    "rep_id": _rep_id,
    "created_at": _instant,
    "closed_at": _instant,
    "at": _instant,
}
