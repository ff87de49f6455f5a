"""Escaping for markup and inline scripts: no plotting library needed, so pages load it at once."""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["escape_markup", "script_json"]


def escape_markup(raw: str) -> str:
    """HTML-escape ``raw``, and the characters special in JS template literals."""
    escaped = html.escape(raw, quote=True)
    if "`" in escaped or "$" in escaped or "\\" in escaped:
        escaped = escaped.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
    return escaped


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element.

    ``<``, ``>``, ``&`` and ``'`` become ``\\u`` escapes (as Folium's own
    ``tojavascript`` does), so no string can close the script element.

    >>> script_json({"n": "</script>"})
    '{"n":"\\\\u003c/script\\\\u003e"}'
    """
    dumped = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return (
        dumped.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
