"""Offline pages load nothing from outside; the CDN setting still works."""

from __future__ import annotations

import hashlib
import re

import folium
import pytest

from maps import render_coverage_map, render_rep_map, render_territory_map, to_html
from maps.assets import (
    STATIC_DIR,
    VENDOR_DIR,
    OfflineAssetError,
    offline_resources,
    use_offline_assets,
)
from tests.maps._world import World

# Any absolute or protocol-relative URL, wherever it sits in the page.
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+""", re.IGNORECASE)


def _maps(world: World, **kwargs: object) -> dict[str, folium.Map]:
    rep, west = world.reps[0], world.territories[0]
    return {
        "coverage": render_coverage_map(
            world.territories,
            world.accounts,
            world.assignments,
            world.reps,
            overlaps=world.overlaps,
            flags=world.flags,
            **kwargs,  # type: ignore[arg-type]
        ),
        "rep": render_rep_map(rep, world.accounts, world.assignments, **kwargs),  # type: ignore[arg-type]
        "territory": render_territory_map(
            west,
            world.accounts,
            world.assignments,
            world.reps,
            **kwargs,  # type: ignore[arg-type]
        ),
    }


def test_offline_pages_reference_no_external_url(world: World) -> None:
    for name, m in _maps(world).items():
        html = to_html(m)
        assert EXTERNAL.findall(html) == [], name
        assert '<script src="/static/vendor/leaflet-1.9.4/leaflet.js"></script>' in html
        assert 'href="/static/vendor/leaflet-1.9.4/leaflet.css"' in html


def test_offline_pages_load_every_asset_from_the_given_base(world: World) -> None:
    html = to_html(_maps(world, asset_base_url="https://maps.example.org/assets/")["coverage"])
    sources = [s for s in re.findall(r'(?:src|href)="([^"]+)"', html) if s not in ("/", "data:,")]
    assert sources and all(s.startswith("https://maps.example.org/assets/") for s in sources)


def test_cdn_links_are_kept_when_offline_is_off(world: World) -> None:
    html = to_html(_maps(world, offline=False)["coverage"])
    assert "https://cdn.jsdelivr.net/npm/leaflet@" in html


def test_offline_rendering_leaves_folium_defaults_alone(world: World) -> None:
    before = list(folium.Map.default_js)
    to_html(_maps(world)["coverage"])
    assert folium.Map.default_js == before
    assert "code.jquery.com" in to_html(folium.Map(tiles=None))


def test_a_page_rendered_with_cdn_links_first_loses_them_when_made_offline() -> None:
    m = folium.Map(tiles=None)
    assert "bootstrap" in to_html(m)
    use_offline_assets(m)
    assert EXTERNAL.findall(to_html(m)) == []


def test_elements_needing_unvendored_assets_are_refused() -> None:
    m = folium.Map(tiles=None)
    folium.Marker((40.0, -100.0), icon=folium.Icon(icon="home")).add_to(m)
    with pytest.raises(OfflineAssetError, match="Icon"):
        use_offline_assets(m)


def test_every_linked_file_is_vendored_with_what_its_css_refers_to() -> None:
    resources = offline_resources("/static/vendor")
    for _, url in resources.js + resources.css:
        assert (VENDOR_DIR / url.removeprefix("/static/vendor/")).is_file()
    css = (VENDOR_DIR / "leaflet-1.9.4" / "leaflet.css").read_text()
    for image in set(re.findall(r"url\((images/[^)]+)\)", css)):
        assert (VENDOR_DIR / "leaflet-1.9.4" / image).is_file()
    assert VENDOR_DIR.parent == STATIC_DIR


def test_vendored_files_match_the_checksums_in_sources_md() -> None:
    sources = (VENDOR_DIR / "SOURCES.md").read_text()
    for name in ("leaflet.js", "leaflet.css"):
        digest = hashlib.sha256((VENDOR_DIR / "leaflet-1.9.4" / name).read_bytes()).hexdigest()
        assert f"`{name}` {digest}" in sources
