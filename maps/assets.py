"""Leaflet served by the service itself, so maps work without the internet.

Folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs. Our pages
need only Leaflet (the layers in :mod:`maps.layers` are plain Leaflet; no
Folium element we use touches jQuery, Bootstrap or icon fonts), so offline
pages load Leaflet from ``STATIC_DIR`` and drop the rest. The files came from
the npm registry; ``static/vendor/SOURCES.md`` says which package and version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Folium is imported when a map is built, not with the service
    import folium
    from branca.element import Element, Figure

#: Directory to mount at ``asset_base_url``'s parent (its ``vendor/`` holds the files).
STATIC_DIR: Path = Path(__file__).parent / "static"
VENDOR_DIR: Path = STATIC_DIR / "vendor"

_LEAFLET = "leaflet-1.9.4"
# Resource name as Folium names it -> path under the vendor directory.
_VENDORED_JS: dict[str, str] = {
    "leaflet": f"{_LEAFLET}/leaflet.js",
    # The coverage map's account tiles (maps.account_tiles); other pages do not link it.
    "vectorgrid": "leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js",
}
_VENDORED_CSS: dict[str, str] = {"leaflet_css": f"{_LEAFLET}/leaflet.css"}
# What folium.Map links by default that no element of ours needs.
_UNUSED = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)


class OfflineAssetError(ValueError):
    """A map element needs a script or stylesheet that is not vendored."""


@dataclass(frozen=True, slots=True)
class Resources:
    """``(name, url)`` pairs of the scripts and stylesheets an offline page loads."""

    js: tuple[tuple[str, str], ...]
    css: tuple[tuple[str, str], ...]

    def files(self) -> list[Path]:
        """The vendored files behind the URLs, plus what the CSS refers to."""
        paths = [VENDOR_DIR / p for p in (*_VENDORED_JS.values(), *_VENDORED_CSS.values())]
        return paths + sorted((VENDOR_DIR / _LEAFLET / "images").glob("*.png"))


def offline_resources(base_url: str = "/static/vendor") -> Resources:
    """The local URLs that replace Folium's CDN links.

    Parameters
    ----------
    base_url : str
        Where the service serves ``VENDOR_DIR`` (no trailing slash needed).

    Returns
    -------
    Resources
        Script and stylesheet URLs under ``base_url``.

    >>> offline_resources("/static/vendor").js[0]
    ('leaflet', '/static/vendor/leaflet-1.9.4/leaflet.js')
    """
    base = base_url.rstrip("/")
    return Resources(
        js=tuple((name, f"{base}/{path}") for name, path in _VENDORED_JS.items()),
        css=tuple((name, f"{base}/{path}") for name, path in _VENDORED_CSS.items()),
    )


def use_offline_assets(m: folium.Map, base_url: str = "/static/vendor") -> folium.Map:
    """Point every script and stylesheet of ``m``'s page at the vendored copies.

    Links that our pages do not use (jQuery, Bootstrap, icon fonts) are
    dropped. The lists are replaced per element, never on the class, so
    other maps keep Folium's defaults.

    Raises
    ------
    OfflineAssetError
        If an element needs a resource that is not vendored (for example a
        ``folium.Icon``, which needs the icon fonts).
    """
    import folium
    from branca.element import Figure
    from folium.elements import JSCSSMixin

    resources = offline_resources(base_url)
    local = dict(resources.js + resources.css)
    root = m.get_root()
    for element in _walk(root):
        if isinstance(element, folium.Icon):
            raise OfflineAssetError("folium.Icon needs icon fonts that are not vendored")
        if isinstance(element, JSCSSMixin):
            element.default_js = _localize(element.default_js, local)
            element.default_css = _localize(element.default_css, local)
    if isinstance(root, Figure):
        _forget_rendered_links(root)
    return m


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _localize(links: list[tuple[str, str]], local: dict[str, str]) -> list[tuple[str, str]]:
    kept = []
    for name, url in links:
        if name in local:
            kept.append((name, local[name]))
        elif name not in _UNUSED:
            raise OfflineAssetError(f"no vendored copy of {name!r} ({url})")
    return kept


def _forget_rendered_links(figure: Figure) -> None:
    # A page rendered before (with CDN links) keeps them in its header by
    # name; re-rendering replaces the ones we keep, but not the dropped ones.
    for name in _UNUSED:
        figure.header._children.pop(name, None)
