"""The editor and /me page shells: assets, base map, escaping, CSP."""

from __future__ import annotations

import hashlib
import re

import pytest

from maps.assets import STATIC_DIR
from maps.pages.editor import GEOMAN, JSTS, base_map, content_security_policy, render_editor_page
from maps.pages.me import render_me_page

PAGES = {"editor": render_editor_page, "me": render_me_page}


@pytest.mark.parametrize("render", PAGES.values(), ids=PAGES.keys())
def test_every_script_and_stylesheet_of_a_page_is_a_local_file(render) -> None:  # type: ignore[no-untyped-def]
    html = render()
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert urls and not re.search(r'(?:src|href)="(?:https?:)?//', html)
    for url in urls:
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url


@pytest.mark.parametrize("folder", [GEOMAN, JSTS])
def test_vendored_plugins_match_the_hashes_in_their_sources_file(folder: str) -> None:
    here = STATIC_DIR / "vendor" / folder
    sources = (here / "SOURCES.md").read_text()
    files = [p for p in here.iterdir() if p.suffix in (".js", ".css")]
    assert files
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in sources, path.name


def test_no_tiles_means_no_base_map_and_no_outside_image_source() -> None:
    assert base_map(None).url is None and base_map("cartodbpositron").url is None
    assert 'data-tiles=""' in render_editor_page(tiles=None)
    assert "http" not in content_security_policy(None)


def test_a_tile_template_reaches_the_page_and_the_policy() -> None:
    tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    assert f'data-tiles="{tiles}"' in render_editor_page(tiles=tiles)
    assert "img-src 'self' data: https://*.tiles.example.org;" in content_security_policy(tiles)
    assert base_map("OpenStreetMap").attribution.endswith("OpenStreetMap contributors")


def test_a_hostile_tile_setting_cannot_break_out_of_its_attribute() -> None:
    html = render_me_page(tiles='https://x.example/{z}/{x}/{y}.png"><script>alert(1)</script>')
    assert "<script>alert" not in html and "&quot;&gt;&lt;script&gt;" in html
    assert base_map("javascript:alert(1)//{z}").url is None
