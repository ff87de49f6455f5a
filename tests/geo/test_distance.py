from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from geo.crs import GEOD
from geo.distance import geodesic_km
from geo.errors import InvalidInputError
from geo.flags.too_far import NotChecked, flag_too_far
from geo.model import Account, Assignment, Rep

Floats = npt.NDArray[np.float64]


def _karney_km(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> Floats:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def _uniform_sphere(rng: np.random.Generator, n: int) -> tuple[Floats, Floats]:
    return rng.uniform(-180, 180, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def _max_rel_error(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> float:
    ours, ref = geodesic_km(lon1, lat1, lon2, lat2), _karney_km(lon1, lat1, lon2, lat2)
    keep = ref > 1e-6  # relative error means nothing for coincident points
    return float(np.max(np.abs(ours[keep] - ref[keep]) / ref[keep]))


def test_geodesic_km_matches_karney_on_random_pairs_over_the_globe() -> None:
    rng = np.random.default_rng(1)
    assert _max_rel_error(*_uniform_sphere(rng, 50_000), *_uniform_sphere(rng, 50_000)) < 1e-4


@pytest.mark.parametrize("pole", [1, -1])
def test_geodesic_km_matches_karney_near_the_poles(pole: int) -> None:
    rng = np.random.default_rng(2)
    lon1, lat1 = rng.uniform(-180, 180, 20_000), pole * rng.uniform(85, 90, 20_000)
    lon2 = lon1 + rng.uniform(-180, 180, 20_000)
    lat2 = np.clip(lat1 + rng.uniform(-3, 3, 20_000), -90, 90)
    assert _max_rel_error(lon1, lat1, lon2, lat2) < 1e-4


def test_geodesic_km_matches_karney_for_short_north_south_hops_at_the_equator() -> None:
    # Where a spherical haversine is worst (0.56 % too long): the meridian
    # radius of curvature at the equator is 6335 km, not 6371 km.
    lat = np.linspace(-1, 1, 101)
    assert _max_rel_error(np.zeros(101), lat, np.zeros(101), lat + 0.01) < 1e-4


def test_geodesic_km_across_the_antimeridian_is_the_short_way_round() -> None:
    assert geodesic_km(179.9, -17.0, -179.9, -17.0) == pytest.approx(
        float(_karney_km(np.array(179.9), np.array(-17.0), np.array(-179.9), np.array(-17.0))),
        rel=1e-6,
    )
    assert geodesic_km(179.9, -17.0, -179.9, -17.0) < 25.0


def test_geodesic_km_of_nearly_antipodal_points_is_exact() -> None:
    lon2, lat2 = np.array([179.5, 180.0, 0.0]), np.array([-0.3, 0.0, -89.9])
    zeros = np.zeros(3)
    lat1 = np.array([0.0, 0.0, 89.9])
    assert _max_rel_error(zeros, lat1, lon2, lat2) < 1e-9


def test_geodesic_km_returns_a_float_for_scalars_and_broadcasts_arrays() -> None:
    assert isinstance(geodesic_km(0.0, 0.0, 1.0, 0.0), float)
    assert geodesic_km(0.0, 0.0, 0.0, 0.0) == 0.0
    out = geodesic_km(0.0, 0.0, np.array([1.0, 2.0]), 0.0)
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert out[1] == pytest.approx(2 * out[0], rel=1e-9)


ANN = Rep(1, "Ann", home=(-100.0, 40.0), max_service_km=100.0)
BOB = Rep(2, "Bob", home=(-98.0, 40.0), max_service_km=100.0)
CAT = Rep(3, "Cat", home=(-97.5, 40.0), max_service_km=10.0)  # nearest, but short reach
DAN = Rep(4, "Dan", home=None, max_service_km=500.0)


def _assigned(account_id: str, rep_id: int | None) -> Assignment:
    kind = "geometry" if rep_id is not None else "unassigned:outside-all"
    return Assignment(account_id, 1 if rep_id else None, rep_id, kind)


def test_flag_too_far_names_the_nearest_other_rep_who_can_reach_the_account() -> None:
    # ~203 km from Ann; Cat is nearer (10.2 km) but reaches only 10 km.
    account = Account("acc", location=(-97.62, 40.0))
    report = flag_too_far([account], [_assigned("acc", 1)], [ANN, BOB, CAT, DAN])
    (flag,) = report.too_far
    assert (flag.account_id, flag.rep_id, flag.limit_km) == ("acc", 1, 100.0)
    assert flag.distance_km == pytest.approx(geodesic_km(-100.0, 40.0, -97.62, 40.0))
    assert flag.nearest_rep_id == 2
    assert flag.nearest_rep_km == pytest.approx(geodesic_km(-98.0, 40.0, -97.62, 40.0))


def test_flag_too_far_gives_no_nearer_rep_when_nobody_else_reaches() -> None:
    account = Account("acc", location=(-90.0, 40.0))
    (flag,) = flag_too_far([account], [_assigned("acc", 1)], [ANN, BOB]).too_far
    assert (flag.nearest_rep_id, flag.nearest_rep_km) == (None, None)


def test_flag_too_far_never_suggests_the_accounts_own_rep() -> None:
    account = Account("acc", location=(-97.0, 40.0))  # 43 km from Cat, 85 km from Bob
    report = flag_too_far([account], [_assigned("acc", 3)], [CAT, BOB])
    (flag,) = report.too_far
    assert flag.rep_id == 3 and flag.nearest_rep_id == 2


def test_flag_too_far_an_account_at_the_limit_is_within_reach() -> None:
    limit_km = geodesic_km(-100.0, 40.0, -99.0, 40.0)
    rep = Rep(1, "Ann", home=(-100.0, 40.0), max_service_km=limit_km)
    account = Account("acc", location=(-99.0, 40.0))
    assert flag_too_far([account], [_assigned("acc", 1)], [rep]).too_far == ()


def test_flag_too_far_uses_the_default_reach_when_the_rep_has_none() -> None:
    rep = Rep(1, "Ann", home=(-100.0, 40.0))
    account = Account("acc", location=(-98.0, 40.0))  # ~171 km
    rows = [_assigned("acc", 1)]
    assert flag_too_far([account], rows, [rep], default_max_service_km=200.0).too_far == ()
    (flag,) = flag_too_far([account], rows, [rep], default_max_service_km=150.0).too_far
    assert flag.limit_km == 150.0


def test_flag_too_far_reports_accounts_of_a_rep_without_home_instead_of_flagging() -> None:
    account = Account("acc", location=(-60.0, 10.0))
    report = flag_too_far([account], [_assigned("acc", 4)], [ANN, DAN])
    assert report.too_far == ()
    assert report.not_checked == (NotChecked("acc", 4, "rep-has-no-home"),)


def test_flag_too_far_skips_accounts_without_location_and_says_so() -> None:
    accounts = [Account("lost"), Account("far", location=(-80.0, 40.0))]
    report = flag_too_far(accounts, [_assigned("lost", 1), _assigned("far", 1)], [ANN])
    assert [f.account_id for f in report.too_far] == ["far"]
    assert report.not_checked == (NotChecked("lost", 1, "no-location"),)


def test_flag_too_far_skips_remote_unknown_and_unassigned_accounts() -> None:
    accounts = [
        Account("remote", location=(-80.0, 40.0), remote=True),
        Account("free", location=(0.0, 0.0)),
    ]
    rows = [
        _assigned("remote", 1),
        _assigned("ghost", 1),
        _assigned("free", None),
        _assigned("free", 99),
    ]
    report = flag_too_far(accounts, rows, [ANN])
    assert report.too_far == ()
    assert report.not_checked == (
        NotChecked("remote", 1, "remote"),
        NotChecked("ghost", 1, "unknown-account"),
        NotChecked("free", 99, "unknown-rep"),
    )


def test_flag_too_far_measures_across_the_antimeridian() -> None:
    suva = Rep(1, "Suva", home=(178.44, -18.14), max_service_km=250.0)
    apia = Rep(2, "Apia", home=(-171.76, -13.83), max_service_km=150.0)
    accounts = [
        Account("taveuni", location=(-179.97, -16.9)),
        Account("savaii", location=(-172.4, -13.6)),
    ]
    report = flag_too_far(accounts, [_assigned("taveuni", 1), _assigned("savaii", 1)], [suva, apia])
    (flag,) = report.too_far  # Taveuni is ~215 km east of Suva across 180
    assert flag.account_id == "savaii" and flag.nearest_rep_id == 2
    assert flag.nearest_rep_km == pytest.approx(geodesic_km(-171.76, -13.83, -172.4, -13.6))


def test_flag_too_far_picks_the_truly_nearest_among_many_reps() -> None:
    rng = np.random.default_rng(5)
    homes = rng.uniform([-110, 30], [-90, 45], (60, 2))
    reps = [
        Rep(k, f"r{k}", home=(float(x), float(y)), max_service_km=400.0)
        for k, (x, y) in enumerate(homes)
    ]
    points = rng.uniform([-110, 30], [-90, 45], (200, 2))
    accounts = [Account(f"a{k}", location=(float(x), float(y))) for k, (x, y) in enumerate(points)]
    far_rep = Rep(999, "far", home=(-60.0, 45.0), max_service_km=100.0)
    rows = [_assigned(a.id, 999) for a in accounts]
    report = flag_too_far(accounts, rows, [*reps, far_rep])
    assert len(report.too_far) == 200
    for flag, (x, y) in zip(report.too_far, points, strict=True):
        km = _karney_km(np.full(60, x), np.full(60, y), homes[:, 0], homes[:, 1])
        reachable = np.flatnonzero(km <= 400.0)
        best = reachable[np.argmin(km[reachable])] if len(reachable) else None
        assert flag.nearest_rep_id == best


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf")])
def test_flag_too_far_rejects_a_default_reach_that_is_not_a_positive_number(bad: float) -> None:
    with pytest.raises(InvalidInputError):
        flag_too_far([], [], [], default_max_service_km=bad)


def test_flag_too_far_without_reps_reports_every_assigned_account_as_unknown_rep() -> None:
    report = flag_too_far([Account("a", location=(0.0, 0.0))], [_assigned("a", 1)], [])
    assert report.too_far == () and report.not_checked == (NotChecked("a", 1, "unknown-rep"),)
