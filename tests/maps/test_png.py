"""The static picture is a real PNG of the asked size with the layers on it."""

from __future__ import annotations

import dataclasses
import io
import struct

import numpy as np
import pytest
from matplotlib.image import imread

from maps import render_coverage_png
from maps.style import FLAG_COLORS
from tests.maps._world import World


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")[..., :3]


@pytest.mark.parametrize(("width_px", "height_px"), [(1200, 800), (320, 480)])
def test_png_has_the_requested_size(world: World, width_px: int, height_px: int) -> None:
    png = render_coverage_png(
        world.territories,
        world.accounts,
        world.assignments,
        reps=world.reps,
        width_px=width_px,
        height_px=height_px,
    )
    assert _size(png) == (width_px, height_px)
    assert _pixels(png).shape == (height_px, width_px, 3)


def test_png_draws_territories_accounts_and_flags(world: World) -> None:
    png = render_coverage_png(
        world.territories,
        world.accounts,
        world.assignments,
        reps=world.reps,
        flags=world.flags,
        overlaps=world.overlaps,
        width_px=600,
        height_px=400,
    )
    pixels = _pixels(png)
    not_white = (pixels < 0.95).any(axis=2)
    frame = not_white[int(400 * 0.08) :, : int(600 * 0.74)]
    assert frame.mean() > 0.3, "the two territories should fill a good part of the frame"
    key = not_white[int(400 * 0.08) :, int(600 * 0.75) :]
    assert key.any(), "the key is drawn right of the map frame, covering nothing"
    assert not_white[: int(400 * 0.06)].any(), "the title band has the title"
    orange = np.array([int(FLAG_COLORS["too_far"][i : i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(pixels - orange).max(axis=2) < 0.05).any(), "the too-far ring is drawn"


def test_png_of_nothing_is_still_a_png() -> None:
    assert _size(render_coverage_png([], [], [], width_px=100, height_px=50)) == (100, 50)


def test_png_refuses_a_size_too_small_to_draw() -> None:
    with pytest.raises(ValueError, match="width_px"):
        render_coverage_png([], [], [], width_px=0, height_px=50)


def test_png_fills_a_territory_with_its_stored_colour(world: World) -> None:
    west = dataclasses.replace(world.territories[0], color="#ff00ff")
    png = render_coverage_png([west, world.territories[1]], [], [], width_px=600, height_px=400)
    frame = _pixels(png)[int(400 * 0.08) :, : int(600 * 0.74)]
    # Magenta at the picture's 0.75 alpha over white.
    seen = np.abs(frame - np.array([1.0, 0.25, 1.0])).max(axis=2) < 0.03
    assert seen.mean() > 0.1, "West is drawn in its stored magenta"
