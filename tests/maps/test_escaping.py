"""Every user string reaches the page escaped, on every map."""

from __future__ import annotations

import re

import pytest

from maps import render_coverage_map, render_rep_map, render_territory_map, to_html
from maps.inputs import RouteInput, RouteStop
from tests.maps._world import XSS, build_world

BREAKOUT = "</script><script>alert(2)</script>"
# What the escaped XSS name looks like inside the page's JSON: HTML-escaped,
# then with "&" written as \u0026 so the JSON cannot end the script element.
ESCAPED = r"\u0026lt;img src=x onerror=alert(1)\u0026gt;"


def _pages() -> dict[str, str]:
    world = build_world(west_name=XSS, rep_name=XSS, account_name=XSS)
    world.flags["A02"] = [BREAKOUT]
    west = world.territories[0]
    template_breakout = "`${alert(3)}`\\"
    stops = (
        RouteStop(-99.9, 40.3, XSS),
        RouteStop(-99.8, 40.4, BREAKOUT),
        RouteStop(-99.7, 40.5, template_breakout),
    )
    route = RouteInput(stops, day=1)
    coverage = render_coverage_map(
        world.territories,
        world.accounts,
        world.assignments,
        world.reps,
        metric="revenue",
        flags=world.flags,
        overlaps=world.overlaps,
    )
    rep = render_rep_map(
        world.reps[0],
        world.accounts,
        world.assignments,
        route=route,
        flags=world.flags,
        territories=world.territories,
    )
    territory = render_territory_map(
        west,
        world.accounts,
        world.assignments,
        world.reps,
        flags=world.flags,
        overlaps=world.overlaps,
    )
    return {"coverage": to_html(coverage), "rep": to_html(rep), "territory": to_html(territory)}


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return _pages()


@pytest.mark.parametrize("page", ["coverage", "rep", "territory"])
def test_hostile_names_never_appear_unescaped(pages: dict[str, str], page: str) -> None:
    html = pages[page]
    assert "<img src=x onerror" not in html
    assert "alert(2)</script>" not in html
    assert not re.search(r"<script>\s*alert", html)


@pytest.mark.parametrize("page", ["coverage", "rep", "territory"])
def test_hostile_names_are_still_shown_as_text(pages: dict[str, str], page: str) -> None:
    # Escaping must not drop the name: it is there, as text for innerHTML.
    html = pages[page]
    assert ESCAPED in html or "&lt;img src=x onerror=alert(1)&gt;" in html


def test_route_stop_labels_are_escaped_in_folium_tooltips(pages: dict[str, str]) -> None:
    # folium.Tooltip writes its text raw into a JS template literal that
    # Leaflet then puts into innerHTML.
    assert "Stop 1: &lt;img src=x onerror=alert(1)&gt;" in pages["rep"]
    assert "Stop 2: &lt;/script&gt;" in pages["rep"]
    assert "Stop 3: &#96;&#36;{alert(3)}&#96;&#92;" in pages["rep"]
    assert "${alert(3)}" not in pages["rep"]
