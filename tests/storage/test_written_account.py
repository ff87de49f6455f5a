"""One account's write returns what it stored: equal to the row read back, on each backend.

``upsert_account`` builds its answer from what it wrote instead of reading the
row again, and takes the account as the transaction already read it
(``known``) instead of reading it first. This holds the answer equal to the
row over generated accounts, created, changed and unchanged, and holds the
revision it moved to equal to the counter's.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.model import Account, Assignment, GeocodeResult
from service.storage import Store

_ids = itertools.count()


def texts(most: int = 20) -> st.SearchStrategy[str | None]:
    """Text as the columns hold it (the parser refuses longer; country is a code)."""
    chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    return st.none() | st.text(chars, max_size=most)


amounts = st.none() | st.floats(0, 1e12, allow_nan=False)
locations = st.none() | st.tuples(st.floats(-180, 180), st.floats(-90, 90))
geocodes = st.none() | st.builds(
    GeocodeResult,
    location=locations,
    status=st.sampled_from(["ok", "ambiguous", "conflict", "not_found"]),
    precision=st.sampled_from(["given", "postal_code", "city", "none"]),
    source=st.sampled_from(["input", "geonames"]),
    note=texts(),
)


@st.composite
def accounts(draw: st.DrawFn, account_id: str) -> Account:
    return Account(
        id=account_id,
        name=draw(texts()),
        location=draw(locations),
        address=draw(texts()),
        postal_code=draw(texts()),
        city=draw(texts()),
        region=draw(texts()),
        country=draw(texts(8)),
        geocode=draw(geocodes),
        industry=draw(texts()),
        products=tuple(draw(st.lists(st.sampled_from(["a", "b", "widgets"]), unique=True))),
        annual_revenue=draw(amounts),
        cost_to_serve=draw(amounts),
        stage=draw(texts()),
        visits_per_month=draw(amounts),
        visit_minutes=draw(amounts),
        remote=draw(st.booleans()),
    )


ANY_REP = st.integers(1, 10**6)


@st.composite
def assignments(
    draw: st.DrawFn, account_id: str, rep_ids: st.SearchStrategy[int] = ANY_REP
) -> Assignment:
    kind = draw(st.sampled_from(["geometry", "override", "conflict", "unassigned:outside-all"]))
    owned = not kind.startswith("unassigned")
    return Assignment(
        account_id=account_id,
        territory_id=draw(st.integers(1, 10**6)) if owned else None,
        rep_id=draw(st.none() | rep_ids) if owned else None,
        assignment=kind,
        candidates=tuple(draw(st.lists(st.integers(1, 10**6), max_size=3, unique=True)))
        if kind == "conflict"
        else (),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_create_change_and_keep_return_the_row_as_stored(store: Store, data: st.DataObject) -> None:
    account_id = f"acct-{next(_ids)}"
    first = data.draw(accounts(account_id)), data.draw(assignments(account_id))
    second = data.draw(accounts(account_id)), data.draw(assignments(account_id))
    with store.write() as tx:
        before = tx.revision()
        made = tx.upsert_account(*first, actor="ann")
        assert tx.revision() == before + 1
    with store.write() as tx:
        read = tx.accounts_by_id([account_id])
        assert read[account_id] == made
        changed = tx.upsert_account(*second, actor="bob", known=read)
    with store.write() as tx:
        kept = tx.upsert_account(*second, actor="cy", known={account_id: changed})
    with store.read() as tx:
        stored = tx.get_account(account_id)
    assert made.version == 1
    assert changed.version == (1 if second == first else 2)
    assert kept == changed == stored


def test_a_known_absence_creates_and_the_counts_still_add_up(store: Store) -> None:
    def row(account_id: str, name: str) -> tuple[Account, Assignment]:
        return Account(account_id, name=name), Assignment(
            account_id, None, None, "unassigned:no-location"
        )

    with store.write() as tx:
        assert tx.upsert_account(*row("x1", "X"), actor="a", known={}).version == 1
        assert tx.upsert_account(*row("x3", "Z"), actor="a").version == 1
    with store.write() as tx:
        # The bulk path counts per row as before: created, updated, unchanged.
        got = tx.upsert_accounts([row("x2", "W"), row("x1", "Y"), row("x3", "Z")], actor="a")
        assert got == (1, 1, 1)
    with store.read() as tx:
        assert [tx.get_account(i).version for i in ("x1", "x2", "x3")] == [2, 1, 1]
        assert tx.get_account("x1").account.name == "Y"
