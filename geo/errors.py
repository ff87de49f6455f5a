"""Domain errors raised by ``geo``.

Each class carries a stable ``code`` slug and a ``title``; the HTTP status is
decided in ``service/web/problems.py``, never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class WarningCode(StrEnum):
    """Every code an answer may carry as a *warning*: said, but nothing refused.

    The one list: imports sort a row's issues into warnings and errors by it,
    territory writes and the geometry gate name their warnings from it.
    """

    UNKNOWN_COLUMN = "unknown-column"
    NULL_ISLAND = "null-island"
    GEOCODE_AMBIGUOUS = "geocode-ambiguous"
    GEOCODE_CONFLICT = "geocode-conflict"
    GEOCODE_NOT_FOUND = "geocode-not_found"
    POSSIBLY_SWAPPED = "possibly-swapped-coordinates"
    ALTITUDE_DROPPED = "altitude-dropped"
    TERRITORY_OVERLAP = "territory-overlap"
    CHILD_OUTSIDE_PARENT = "child-outside-parent"


WARNING_CODES: frozenset[str] = frozenset(WarningCode)
"""The codes of :class:`WarningCode` as plain strings.

>>> "null-island" in WARNING_CODES, "invalid" in WARNING_CODES
(True, False)
"""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in some input.

    ``pointer`` is an RFC 6901 JSON pointer into the input as sent
    (``/geometry/coordinates/0/5``); ``location`` is ``(lon, lat)`` where the
    problem sits on the map, when there is one.
    """

    pointer: str
    reason: str
    location: tuple[float, float] | None = None
    code: str = "invalid"


class GeoError(Exception):
    """Base class for domain errors raised by ``geo``."""

    code: ClassVar[str] = "geo-error"
    title: ClassVar[str] = "Geometry error"

    def __init__(self, detail: str, issues: Sequence[Issue] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.issues: tuple[Issue, ...] = tuple(issues)


class InvalidGeometryError(GeoError):
    """A geometry cannot be used; ``issues`` lists every problem found."""

    code = "invalid-geometry"
    title = "Invalid geometry"


class InvalidCoordinatesError(GeoError):
    """A coordinate is out of range, non-finite or probably swapped."""

    code = "invalid-coordinates"
    title = "Invalid coordinates"


class InvalidInputError(GeoError):
    """Non-geometric input (a row, a rule, a parameter) is unusable."""

    code = "invalid-input"
    title = "Invalid input"


class NoHomeError(InvalidInputError):
    """A rep without a home base, asked for something that starts from home (a route)."""

    code = "rep-has-no-home"
    title = "Rep has no home base"


class NoSuchDayError(InvalidInputError):
    """A planned day outside the month's plan."""

    code = "no-such-day"
    title = "No such day"


class TooManyFeaturesError(InvalidInputError):
    """More features than a configured limit allows in one answer (a map, a layer)."""

    code = "too-many-features"
    title = "Too many features"


class OverlapError(GeoError):
    """A territory write would overlap its neighbours and the caller refused that."""

    code = "territory-overlap"
    title = "Territory overlaps its neighbours"


class EmptyResultError(GeoError):
    """An operation would leave nothing (e.g. clipping removes the whole shape)."""

    code = "empty-result"
    title = "Nothing left"
