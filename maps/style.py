"""Colours, escaping and JSON for the pages.

Every string that a user could have typed (names, codes, labels, colours)
passes through :func:`text` or :func:`safe_color` before it reaches a page:
Leaflet puts tooltip, popup and layer-control content into ``innerHTML``, and
Folium's own tooltips do not escape, so escaping is our job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from matplotlib import colormaps
from matplotlib.colors import to_hex, to_rgb, to_rgba

from maps.markup import escape_markup

NO_DATA_COLOR = "#bdbdbd"
LAND_COLOR = "#f4f2ec"  # under the territories of a map without tiles
TERRITORY_OPACITY = 0.6  # the territory layer's fill opacity (page.js's default)
UNASSIGNED_COLOR = "#6e6e6e"
DARK_INK = "#1a1a1a"  # label text (page.css's .tm-label)
# Okabe and Ito's colour-blind-safe set for what a dot or hatch says.
OVERLAP_COLOR = "#d55e00"  # vermillion
GAP_COLOR = "#555555"
ASSIGNED_COLOR = "#ffffff"
FLAG_COLORS: dict[str, str] = {
    "unassigned": "#000000",
    "too_far": "#e69f00",  # orange
    "overlap": OVERLAP_COLOR,
}
# Paul Tol's "light" scheme without its grey: colour-blind safe and made for
# fills under black text. Greedy colouring of the adjacency needs at most six
# classes for territories that tile the plane (see geo.design.colouring).
TERRITORY_FILLS: tuple[str, ...] = (
    "#77aadd",
    "#eedd88",
    "#ffaabb",
    "#44bb99",
    "#ee8866",
    "#99ddff",
    "#bbcc33",
    "#aaaa00",
)
# Qualitative palettes: reps fill territories with tab10 (drawn translucent),
# territories colour their account dots with the darker Dark2 and Set1, so a
# dot never has the colour of the fill it sits on.
_REP_PALETTE = tuple(to_hex(c) for c in colormaps["tab10"](range(10)))
_TERRITORY_PALETTE = tuple(to_hex(c) for c in colormaps["Dark2"](range(8))) + tuple(
    to_hex(c) for c in colormaps["Set1"](range(9))
)
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_NAMED_COLOR = re.compile(r"[a-zA-Z]{3,20}")
_MAX_TEXT = 200


def text(value: object, max_chars: int = _MAX_TEXT) -> str:
    """A user string made safe for ``innerHTML``: shortened, then escaped.

    Besides HTML's five characters, the backtick, ``$`` and the backslash
    become character references too: ``folium.Tooltip`` writes its text into
    a JavaScript template literal, where they could end the literal or start
    a ``${...}`` expression.

    >>> text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> text("`${1}`")
    '&#96;&#36;{1}&#96;'
    >>> text(None)
    ''
    """
    if value is None:
        return ""
    raw = str(value)
    if len(raw) > max_chars:
        raw = raw[: max_chars - 1] + "\u2026"
    return escape_markup(raw)


def safe_color(value: str | None, fallback: str) -> str:
    """``value`` if it is a plain CSS colour (``#rgb``, ``#rrggbb`` or a name).

    Anything else (``red;background:url(...)``) gives ``fallback``, because a
    colour ends up inside style attributes.

    >>> safe_color("#A1b2C3", "#000")
    '#A1b2C3'
    >>> safe_color("red;x:1", "#000")
    '#000'
    """
    if value is None:
        return fallback
    if _HEX_COLOR.fullmatch(value) or _NAMED_COLOR.fullmatch(value):
        return value
    return fallback


def stored_fill(value: str | None) -> str | None:
    """A manager's stored territory colour as ``#rrggbb``, or ``None`` if unusable.

    The colour must pass :func:`safe_color` and name a real, opaque CSS
    colour: a name the browser does not know would leave the canvas with
    the previous territory's fill.

    >>> stored_fill("#AABBCC"), stored_fill("teal"), stored_fill("#abc")
    ('#aabbcc', '#008080', '#aabbcc')
    >>> stored_fill("nosuchcolour"), stored_fill("none"), stored_fill("red;x:1")
    (None, None, None)
    """
    if value is None or safe_color(value, "") != value:
        return None
    try:
        rgba = to_rgba(value)
    except ValueError:
        return None
    return to_hex(rgba) if rgba[3] == 1 else None


def light_ink(fill: str, opacity: float = TERRITORY_OPACITY, ground: str = LAND_COLOR) -> bool:
    """Whether white text reads better than near-black on ``fill`` laid over ``ground``.

    Compares WCAG 2 contrast ratios of both inks against the colour the
    reader sees (``fill`` at ``opacity`` over ``ground``).

    >>> light_ink("#eedd88"), light_ink("#000000"), light_ink("#123456", 1.0)
    (False, True, True)
    """
    seen = [
        opacity * f + (1 - opacity) * g for f, g in zip(to_rgb(fill), to_rgb(ground), strict=True)
    ]
    under = _luminance(seen)
    dark = (under + 0.05) / (_luminance(to_rgb(DARK_INK)) + 0.05)
    light = 1.05 / (under + 0.05)
    return light > dark


def _luminance(rgb: Sequence[float]) -> float:
    # WCAG 2 relative luminance: https://www.w3.org/TR/WCAG21/#dfn-relative-luminance
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def rep_color(position: int) -> str:
    """The fill colour of the ``position``-th rep (cycles through tab10)."""
    return _REP_PALETTE[position % len(_REP_PALETTE)]


def territory_color(position: int, own: str | None = None) -> str:
    """A territory's own colour if valid, else a palette colour by position."""
    return safe_color(own, _TERRITORY_PALETTE[position % len(_TERRITORY_PALETTE)])


def fill_color(colour_class: int) -> str:
    """The fill of a territory in colour class ``colour_class`` (cycles past eight).

    >>> fill_color(0), fill_color(8)
    ('#77aadd', '#77aadd')
    """
    return TERRITORY_FILLS[colour_class % len(TERRITORY_FILLS)]


def sequential_colors(count: int, cmap: str = "YlOrRd") -> list[str]:
    """``count`` colours from light to dark for choropleth classes."""
    ramp = colormaps[cmap]
    if count <= 1:
        return [to_hex(ramp(0.6))]
    return [to_hex(ramp(0.15 + 0.85 * i / (count - 1))) for i in range(count)]


def class_labels(breaks: Sequence[float], lowest: float) -> list[str]:
    """Legend labels for classes whose upper bounds are ``breaks``.

    >>> class_labels([10.0, 250.5], 0.0)
    ['0 – 10', '10 – 250.5']
    """
    labels = []
    low = lowest
    for high in breaks:
        labels.append(f"{_number(low)} – {_number(high)}")
        low = high
    return labels


def _number(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0")
