"""A page of accounts made from the rows equals the page made from the stored accounts.

``GET /accounts`` on the live plan turns the rows the store read into Features
directly (:mod:`service.views.account_page`); every other answer with
accounts (one account, an export, a page in a plan, a rep's book) goes
through the stored account and :func:`account_feature`. Over generated
accounts, assignments and reps, on each backend, the two give the same
bytes: the same keys in the same order, the same distances and flags.
"""

from __future__ import annotations

import itertools

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.model import Account, Assignment, Rep
from service.storage import Store
from service.views.account_page import _geocode_decoded, page_features, rep_ids_of
from service.views.accounts import account_features
from tests.storage.test_written_account import accounts, assignments, locations

_batches = itertools.count()

reps = st.builds(
    Rep,
    id=st.integers(1, 4),
    name=st.just("Rep"),
    home=locations,
    max_service_km=st.none() | st.floats(0, 20_000),
)


@settings(
    max_examples=30,  # each example writes up to 12 accounts
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_features_from_rows_equal_features_from_stored_accounts(
    store: Store, data: st.DataObject
) -> None:
    prefix = f"page-{next(_batches):06d}-"
    size = data.draw(st.integers(1, 12))
    ids = [f"{prefix}{i:03d}" for i in range(size)]
    rows: list[tuple[Account, Assignment]] = [
        (data.draw(accounts(i)), data.draw(assignments(i, st.integers(1, 5)))) for i in ids
    ]
    known = {r.id: r for r in data.draw(st.lists(reps, max_size=4))}
    default_km = data.draw(st.floats(1, 5_000))
    with store.write() as tx:
        tx.upsert_accounts(rows, actor="ann")
    with store.read() as tx:
        # As the route reads them: the revision last, the JSON columns as text.
        read = tx.find_account_rows(
            after_id=prefix, limit=size, with_revision=True, json_as_text=True
        )
        stored = tx.find_accounts(after_id=prefix, limit=size)
    assert [r[0] for r in read] == ids
    assert rep_ids_of(read) == {a.rep_id for _, a in rows if a.rep_id is not None}
    got = page_features(read, known, default_km)
    want = account_features(stored, known, default_km)
    assert orjson.dumps(got) == orjson.dumps(want)


def test_the_comparison_sees_a_wrong_flag(store: Store) -> None:
    # The bytes differ when one flag differs: the test above can fail.
    account = Account("far-1", name="Far", location=(10.0, 50.0))
    owner = Assignment("far-1", territory_id=1, rep_id=1, assignment="geometry")
    rep = Rep(1, "Ann", home=(0.0, 0.0), max_service_km=100.0)
    with store.write() as tx:
        tx.upsert_accounts([(account, owner)], actor="ann")
    with store.read() as tx:
        read = tx.find_account_rows(after_id="far-0", limit=1, json_as_text=True)
        stored = tx.find_accounts(after_id="far-0", limit=1)
    (got,) = page_features(read, {1: rep}, 150.0)
    assert got["properties"]["flags"] == ["too-far"]
    assert got["properties"]["distance_km"] > 700
    near = page_features(read, {1: Rep(1, "Ann", home=(10.0, 50.0))}, 150.0)
    assert near[0]["properties"]["flags"] == []
    assert orjson.dumps(near) != orjson.dumps(account_features(stored, {1: rep}, 150.0))


def test_a_geocode_written_with_nan_still_decodes() -> None:
    # json.dumps writes NaN, which orjson refuses: the page falls back as the driver does.
    text = '{"location": [NaN, 1.5], "status": "ok", "precision": "given", "source": "input"}'
    geocode = _geocode_decoded(text)
    assert geocode["status"] == "ok" and geocode["source"] == "input"
    assert _geocode_decoded(None) is None
