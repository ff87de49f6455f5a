"""Every rep's week for managers: ``GET /schedules`` and the overview's "Team week" card."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from tests.conftest import ApiClient
from tests.service.test_plan_api import ok
from tests.service.test_schedules_api import MONDAY, put_cadence, token, world


def _plan(client: ApiClient, rep_id: int, **headers: Any) -> dict[str, Any]:
    r = client.post(f"/reps/{rep_id}/schedule", params={"weeks": 1, "start": MONDAY}, **headers)
    return ok(r)  # type: ignore[no-any-return]


def _busy_world(client: ApiClient) -> dict[str, Any]:
    """Rep A: 60 accounts visited daily for an hour (cannot fit); rep B: one weekly visit."""
    w = world(client, n=60)
    ok(put_cadence(client, w["t1"], [{"channel": "visit", "every_days": 1, "minutes": 60}]))
    ok(put_cadence(client, w["t2"], [{"channel": "visit", "every_days": 7}]))
    return w


class _Rows(HTMLParser):
    """The team table's rows: the rep's name, then each cell's text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "team") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th") and self.rows:
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def _team_rows(client: ApiClient, **headers: Any) -> dict[str, list[str]]:
    r = client.get("/dashboards", params={"today": "2026-03-04"}, **headers)
    assert r.status_code == 200, r.text
    parser = _Rows()
    parser.feed(r.text)
    return {row[0]: row[1:] for row in parser.rows[1:]}


def test_schedules_list_is_empty_until_planned_and_a_rep_sees_only_their_own(
    client: ApiClient,
) -> None:
    w = _busy_world(client)
    rep_a = {"headers": token(client, role="rep", rep_id=w["a"])}
    assert ok(client.get("/schedules", params={"rep_id": w["a"]}, **rep_a)) == {"items": []}
    planned = _plan(client, w["a"], **rep_a)
    _plan(client, w["b"])
    mine = ok(client.get("/schedules", params={"rep_id": w["a"]}, **rep_a))["items"]
    assert [s["rep_id"] for s in mine] == [w["a"]] and mine[0]["contacts"] == planned["contacts"]
    assert [s["rep_id"] for s in ok(client.get("/schedules", **rep_a))["items"]] == [w["a"]]
    assert client.get("/schedules", params={"rep_id": w["b"]}, **rep_a).status_code == 403
    assert {s["rep_id"] for s in ok(client.get("/schedules"))["items"]} == {w["a"], w["b"]}
    regional = {"headers": token(client, role="manager", region_id=w["region"])}
    assert [s["rep_id"] for s in ok(client.get("/schedules", **regional))["items"]] == [w["a"]]
    outside = client.get("/schedules", params={"rep_id": w["b"]}, **regional)
    assert ok(outside) == {"items": []}


def test_the_overview_shows_each_managed_rep_s_week_compliance_and_unplaced_contacts(
    client: ApiClient,
) -> None:
    w = _busy_world(client)
    unplanned = _team_rows(client)
    assert set(unplanned) == {"A", "B"}
    assert all("No schedule planned yet" in " ".join(cells) for cells in unplanned.values())

    a = _plan(client, w["a"])
    _plan(client, w["b"])
    rows = _team_rows(client)
    assert set(rows) == {"Aplan 02 Mar \u2013 08 Mar 2026", "Bplan 02 Mar \u2013 08 Mar 2026"}
    rows = {name.split("plan ")[0]: cells for name, cells in rows.items()}
    by_day: dict[str, int] = {}
    for c in a["contacts"]:
        by_day[c["day"]] = by_day.get(c["day"], 0) + (c["channel"] == "visit")
    weekdays = sorted(by_day)[:5]
    shown = [int(re.match(r"(\d+) visit", cell).group(1)) for cell in rows["A"][:5]]  # type: ignore[union-attr]
    assert shown == [by_day[d] for d in weekdays]
    due, kept = a["compliance"]["due"], a["compliance"]["in_window"]
    assert rows["A"][5].startswith(f"{kept} / {due}")
    assert a["compliance"]["requested"] > due  # the daily cadence was stretched to fit
    assert f"the cadence asks {a['compliance']['requested']}" in rows["A"][5]
    assert rows["A"][6] == "0.0" and rows["A"][7] == str(len(a["unplaced"])) != "0"
    page = client.get("/dashboards", params={"today": "2026-03-04"}).text
    assert f"A: {len(a['unplaced'])} contacts not placed" in page
    assert "no day in its window had room" in page and "Acct 0" in page

    regional = {"headers": token(client, role="manager", region_id=w["region"])}
    assert [n.split("plan ")[0] for n in _team_rows(client, **regional)] == [
        "A"
    ]  # rep B works outside the region
