"""The editor's saves as change sets: split, merge, overlaps, stale versions and restore."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import EAST, Tabs, World, box
from tests.browser.editor_steps import (
    create,
    drag,
    draw_line,
    draw_polygon,
    lonlat,
    open_territory,
    px,
    record_writes,
    save,
    show,
    sign_in_editor,
    territory,
    tolerance_deg,
    version,
    wait_saved,
)

pytestmark = pytest.mark.browser


def test_second_save_of_a_stale_territory_shows_who_changed_it_and_loses_nothing(
    browser_tab: Tabs, world: World
) -> None:
    alice = sign_in_editor(browser_tab, world.tokens["Alice"], "alice")
    carol = sign_in_editor(browser_tab, world.tokens["Carol"], "carol")
    for tab in (alice, carol):
        open_territory(tab, "West")
    alice.page.fill("#f-name", "West by Alice")
    save(alice.page)
    wait_saved(alice.page)
    alice.shot("saved-first")

    browser_tab.expect_console_error(r"status of 412")
    carol.page.fill("#f-name", "West by Carol")
    carol.page.fill("#f-industries", "retail")
    save(carol.page)
    carol.page.wait_for_selector("#notice.conflict:not([hidden])")
    carol.shot("conflict")
    text = carol.page.inner_text("#notice")
    assert "Alice Manager" in text and "Version 2" in text
    west_id = world.territories["West"]
    with world.app.api() as api:
        stored = api.get(f"/territories/{west_id}").json()
    assert stored["properties"]["name"] == "West by Alice" and stored["properties"]["version"] == 2
    assert carol.page.input_value("#f-name") == "West by Carol"  # nothing lost in the page

    carol.page.click("#notice-actions button:has-text('Load their version')")
    carol.page.wait_for_selector("#notice-actions button:has-text('Re-apply my changes')")
    assert carol.page.input_value("#f-name") == "West by Alice"
    preview = carol.page.inner_text("#notice-list")
    assert "Name: \u201cWest by Alice\u201d \u2192 \u201cWest by Carol\u201d" in preview
    assert "Shape: theirs, unchanged" in preview
    carol.shot("their-version-loaded")
    carol.page.click("#notice-actions button:has-text('Re-apply my changes')")
    assert carol.page.input_value("#f-name") == "West by Carol"
    assert carol.page.input_value("#f-industries") == "retail"
    save(carol.page)
    wait_saved(carol.page)
    carol.shot("saved-on-top")
    with world.app.api() as api:
        stored = api.get(f"/territories/{west_id}").json()
        versions = api.get(f"/territories/{west_id}/history").json()["versions"]
    assert stored["properties"]["name"] == "West by Carol" and stored["properties"]["version"] == 3
    assert stored["properties"]["rules"]["industries"] == ["retail"]
    assert [(v["version"], v["updated_by"]) for v in versions][1:] == [
        (2, "Alice Manager"),
        (3, "Carol Manager"),
    ]


def test_split_with_a_line_merge_back_and_restore_an_old_version(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    writes = record_writes(page)
    west_id = world.territories["West"]
    with world.app.api() as api:
        original = shape(api.get(f"/territories/{west_id}").json()["geometry"])
    open_territory(tab, "West")
    show(page, -83.2, 39.9)
    page.click("#split")
    draw_line(page, [(-83.36, 39.93), (-83.2, 39.935), (-83.04, 39.93)])
    page.wait_for_selector("#split-row:not([hidden])")
    page.fill("#f-split-name", "West North")
    tab.shot("split-drawn")
    save(page)
    wait_saved(page)
    tab.shot("split-saved")
    assert len(writes) == 1, writes  # one request writes both pieces
    north = territory(world, "West North")
    assert north is not None and north["properties"]["rep_ids"] == [world.reps["Ann"]]
    with world.app.api() as api:
        south = shape(api.get(f"/territories/{west_id}").json()["geometry"])
        report = api.get("/analysis/overlaps").json()
    pieces = shape(north["geometry"])
    assert south.area > pieces.area and south.intersection(pieces).area < 1e-12
    assert (
        south.union(pieces).symmetric_difference(original).area < 1e-9
    )  # nothing lost, nothing added
    assert not report["overlaps"] and not report["slivers"]

    open_territory(tab, "West")  # saving ended the edit
    page.click("#merge")
    page.click("#territory-list button:has-text('West North')")
    page.wait_for_selector("#pending:not([hidden])")
    tab.shot("merge-pending")
    save(page)
    wait_saved(page)
    tab.shot("merged")
    assert len(writes) == 2, writes  # and one more merges them
    with world.app.api() as api:
        assert api.get(f"/territories/{north['id']}").status_code == 404
        merged = api.get(f"/territories/{west_id}").json()
    assert merged["properties"]["version"] == 3
    assert shape(merged["geometry"]).symmetric_difference(original).area < 1e-9

    open_territory(tab, "West")
    page.click("#history-button")
    page.wait_for_selector("#history:not([hidden]) li")
    tab.shot("history")
    page.click("#history-list button[data-version='2']")
    page.wait_for_selector("#notice-actions button:has-text('Restore version 2')")
    tab.shot("restore-asks")
    with world.app.api() as api:  # asking wrote nothing
        assert api.get(f"/territories/{west_id}").json()["properties"]["version"] == 3
    page.click("#notice-actions button:has-text('Restore version 2')")
    wait_saved(page)
    tab.shot("restored")
    with world.app.api() as api:
        restored = api.get(f"/territories/{west_id}").json()
    assert restored["properties"]["version"] == 4
    assert shape(restored["geometry"]).symmetric_difference(south).area < 1e-12


def test_merge_then_cancel_at_the_overlap_prompt_loses_nothing(
    browser_tab: Tabs, world: World
) -> None:
    # Bridge overlaps East, so West merged with East would overlap Bridge.
    create(world, "Bridge", (-82.95, 39.85, -82.85, 39.95))
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    writes = record_writes(page)
    west, east = world.territories["West"], world.territories["East"]
    open_territory(tab, "West")
    page.click("#merge")
    page.click("#territory-list button:has-text('East')")
    page.wait_for_selector("#pending:not([hidden])")
    assert "Deletes \u201cEast\u201d" in page.inner_text("#pending")
    browser_tab.expect_console_error(r"status of 409")
    save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    tab.shot("merge-overlap-prompt")
    assert "Bridge" in page.inner_text("#notice")
    page.click("#notice-actions button:has-text('Cancel')")
    page.wait_for_selector("#notice", state="hidden")
    tab.shot("merge-cancelled")
    assert writes == []  # the check was a dry run: nothing was sent to be written
    assert (version(world, west), version(world, east)) == (1, 1)
    assert "nothing was written" in page.inner_text("#status")
    assert page.locator("#unsaved").is_visible()  # the draft is still there to change
    dialogs: list[str] = []

    def leave(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", leave)
    page.close(run_before_unload=True)  # leaving with unsaved changes asks first
    page.wait_for_timeout(500)  # dismissed: the page stays, and its events arrive
    assert dialogs == ["beforeunload"] and not page.is_closed()


def test_conflict_reapply_keeps_the_other_managers_vertex_move_and_adds_the_rename(
    browser_tab: Tabs, world: World
) -> None:
    west = world.territories["West"]
    alice = sign_in_editor(browser_tab, world.tokens["Alice"], "alice")
    carol = sign_in_editor(browser_tab, world.tokens["Carol"], "carol")
    for tab in (alice, carol):
        open_territory(tab, "West")
    show(alice.page, -83.1, 40.0, 12)
    moved_px = (px(alice.page, -83.1, 40.0)[0] + 60, px(alice.page, -83.1, 40.0)[1] - 40)
    moved = lonlat(alice.page, moved_px)
    drag(alice.page, [(-83.1, 40.0), moved])
    alice.page.wait_for_selector("#unsaved:not([hidden])")
    save(alice.page)
    wait_saved(alice.page)
    alice.shot("vertex-moved")
    with world.app.api() as api:
        after_alice = shape(api.get(f"/territories/{west}").json()["geometry"])
    tolerance = tolerance_deg(alice.page, moved_px)
    assert shapely.Point(moved).distance(after_alice.boundary) < tolerance

    browser_tab.expect_console_error(r"status of 412")
    carol.page.fill("#f-name", "West renamed by Carol")
    save(carol.page)
    carol.page.wait_for_selector("#notice.conflict:not([hidden])")
    carol.page.click("#notice-actions button:has-text('Load their version')")
    carol.page.wait_for_selector("#notice-actions button:has-text('Re-apply my changes')")
    preview = carol.page.inner_text("#notice-list")
    carol.shot("what-reapply-writes")
    assert "Name: \u201cWest\u201d \u2192 \u201cWest renamed by Carol\u201d" in preview
    assert "Shape: theirs, unchanged" in preview
    carol.page.click("#notice-actions button:has-text('Re-apply my changes')")
    assert "Name:" in carol.page.inner_text("#pending") and "Shape" not in carol.page.inner_text(
        "#pending"
    )
    save(carol.page)
    wait_saved(carol.page)
    carol.shot("renamed-on-top")
    with world.app.api() as api:
        stored = api.get(f"/territories/{west}").json()
    assert stored["properties"]["name"] == "West renamed by Carol"
    assert stored["properties"]["version"] == 3
    assert shape(stored["geometry"]).equals_exact(after_alice, 1e-12)  # Alice's move survives


def test_restore_asks_and_warns_about_the_overlap_it_would_bring_back(
    browser_tab: Tabs, world: World
) -> None:
    west = world.territories["West"]
    with world.app.api() as api:  # West shrinks to its southern half; Later takes the north
        api.put(
            f"/territories/{west}",
            json={
                "type": "Feature",
                "geometry": box(-83.30, 39.80, -83.10, 39.90),
                "properties": {"name": "West", "code": "W1", "rep_ids": [world.reps["Ann"]]},
            },
            headers={"If-Match": '"1"'},
        ).raise_for_status()
    create(world, "Later", (-83.30, 39.90, -83.10, 40.00))
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    open_territory(tab, "West")
    page.click("#history-button")
    page.click("#history-list button[data-version='1']")
    page.wait_for_selector("#notice.overlap:not([hidden])")
    tab.shot("restore-warns")
    text = page.inner_text("#notice")
    assert "Restore version 1" in text and "\u201cLater\u201d" in text and "km\u00b2" in text
    page.click("#notice-actions button:has-text('Cancel')")
    page.wait_for_selector("#status:has-text('Not restored')")
    assert version(world, west) == 2


def test_drawing_across_a_neighbour_and_choosing_clip_leaves_a_shared_edge(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    show(page, -82.95, 39.9)
    # From the gap well into East (whose west edge is at lon -82.9).
    drawn = shapely.Polygon(
        draw_polygon(page, [(-83.05, 39.85), (-82.82, 39.85), (-82.82, 39.95), (-83.05, 39.95)])
    )
    page.fill("#f-name", "Crossing")
    browser_tab.expect_console_error(r"status of 409")
    save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    page.wait_for_selector(".overlap-area")
    tab.shot("overlap-shown")
    assert "East" in page.inner_text("#notice-list")
    assert territory(world, "Crossing") is None  # the dry check stored nothing
    page.click("#notice-actions button:has-text('Clip to neighbours')")
    wait_saved(page)
    tab.shot("clipped-and-saved")

    new, east_id = territory(world, "Crossing"), world.territories["East"]
    assert new is not None
    with world.app.api() as api:
        east = api.get(f"/territories/{east_id}").json()
        report = api.get("/analysis/overlaps").json()
    pairs = [{p["a"]["id"], p["b"]["id"]} for p in report["overlaps"] + report["slivers"]]
    assert {new["id"], east_id} not in pairs
    a, b = shape(new["geometry"]), shape(east["geometry"])
    assert a.intersection(b).area < 1e-12
    shared = a.boundary.intersection(b.boundary)
    # The clipped shape's whole east side is East's west edge, over the span that was drawn.
    lat_span = a.bounds[3] - a.bounds[1]
    assert shared.length == pytest.approx(lat_span, abs=1e-9)
    assert lat_span == pytest.approx(
        drawn.bounds[3] - drawn.bounds[1], abs=2 * tolerance_deg(page, (200, 200))
    )
    assert shapely.get_coordinates(a)[:, 0].max() == pytest.approx(EAST[0], abs=1e-9)
