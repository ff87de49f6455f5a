"""Territory polygons: one colour each, and as a choropleth of one metric.

A territory is filled with the colour a manager stored on it; the others
with their class in a greedy colouring of the adjacency graph
(:func:`maps.fills.territory_fills`), so neighbours never share a colour;
names on a dark stored colour are written in light ink. The legend and
tooltip name each territory's rep, and the names sit on the map as labels
(:mod:`maps.labels`).

Both layers draw the same simplified FeatureCollection, written into the
page once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import mapclassify
import numpy as np
import shapely

from geo.model import Rep, Territory
from maps.base import lonlat_bounds
from maps.encode import encode_polygons, escape_all
from maps.fills import territory_fills
from maps.frame import LabelLayer
from maps.inputs import METRICS
from maps.labels import label_columns
from maps.layers import Bounds, Legend, PolygonLayer
from maps.simplify import display_geometries
from maps.style import NO_DATA_COLOR, class_labels, light_ink, sequential_colors

TERRITORY_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Territory"),
    ("code", "Code"),
    ("rep", "Rep"),
    ("accounts", "Accounts"),
    ("revenue", "Revenue USD/year"),
    ("net_profit", "Net profit USD/year"),
    ("workload_hours", "Workload h/month"),
    ("load_pct", "Rep load %"),
)
METRIC_TITLES: dict[str, str] = dict(TERRITORY_FIELDS[3:])
_LEGEND_MAX_TERRITORIES = 60


@dataclass(frozen=True, slots=True)
class Classes:
    """A choropleth classification: class per territory (-1: no data), colours, labels."""

    index: list[int]
    colors: list[str]
    labels: list[str]


def add_territory_layers(
    m: folium.Map,
    territories: Sequence[Territory],
    numbers: Sequence[Mapping[str, float | None]],
    reps: Sequence[Rep],
    *,
    metric: str | None,
    tolerance_deg: float | None,
    scheme: str = "quantiles",
    k: int = 5,
) -> Bounds | None:
    """Add the territories (legend, labels) and, if ``metric``, the choropleth.

    Returns the layers' bounds in Folium's lat/lon order, ``None`` when there
    are no territories.
    """
    if not territories:
        return None
    shapes, decimals = display_geometries([t.geometry for t in territories], tolerance_deg)
    classes = classify(numbers, metric, scheme, k) if metric else None
    rep_index = {r.id: i for i, r in enumerate(reps)}
    fills = territory_fills([t.geometry for t in territories], [t.color for t in territories])
    payload: dict[str, object] = dict(encode_polygons(shapes, decimals))
    payload["scale"] = 10 ** min(decimals, 7)
    payload["props"] = _property_columns(territories, numbers, reps, rep_index, classes, fills)
    bounds = lonlat_bounds(shapely.total_bounds(shapes))
    by_rep = PolygonLayer(
        "Territories", payload, len(territories), bounds, {"fillKey": "fill"}, TERRITORY_FIELDS
    )
    m.add_child(by_rep)
    entries = _territory_legend(territories, {r.id: r.name for r in reps}, fills)
    m.add_child(Legend("Territories and their reps", entries, by_rep))
    labels = label_columns(
        list(shapes), [t.name for t in territories], [t.code for t in territories]
    )
    ink = [int(light_ink(f)) for f in fills]
    if any(ink):  # only a dark stored colour needs light text; the palette is light
        labels["ink"] = ink
    m.add_child(LabelLayer("Territory names", _largest_first(labels), rank=0))
    if classes is not None and metric is not None:
        label = METRIC_TITLES[metric]
        title = f"Territories by {label[0].lower()}{label[1:]}"
        style = {"classKey": "class", "classColors": classes.colors, "noData": NO_DATA_COLOR}
        choropleth = PolygonLayer(
            title,
            None,
            len(territories),
            bounds,
            style,
            TERRITORY_FIELDS,
            source=by_rep,
            show=False,
        )
        m.add_child(choropleth)
        entries = list(zip(classes.colors, classes.labels, strict=True))
        if -1 in classes.index:
            entries.append((NO_DATA_COLOR, "No data"))
        m.add_child(Legend(METRIC_TITLES[metric], entries, choropleth))
    return bounds


def classify(
    numbers: Sequence[Mapping[str, float | None]], metric: str, scheme: str, k: int
) -> Classes:
    """Class each territory by ``metric`` with ``mapclassify`` (``-1``: no value).

    >>> c = classify([{"accounts": 1.0}, {"accounts": 9.0}, {}], "accounts", "quantiles", 5)
    >>> c.index, c.labels
    ([0, 1, -1], ['1 – 5', '5 – 9'])
    """
    if metric not in METRICS:
        raise ValueError(f"`metric` was {metric!r} but is expected to be in {METRICS}")
    values = np.array([_value(n.get(metric)) for n in numbers])
    known = ~np.isnan(values)
    index = np.full(len(values), -1)
    if not known.any():
        return Classes(index.tolist(), [], [])
    k = max(1, min(k, len(np.unique(values[known]))))
    with warnings.catch_warnings():
        # mapclassify warns when classes collapse on repeated values; the
        # legend shows the breaks it settled on, which says the same thing.
        warnings.simplefilter("ignore", UserWarning)
        classifier = mapclassify.classify(values[known], scheme=scheme, k=k)
    breaks = [float(b) for b in classifier.bins]
    index[known] = classifier.yb
    labels = class_labels(breaks, float(values[known].min()))
    return Classes(index.tolist(), sequential_colors(len(breaks)), labels)


def _value(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _property_columns(
    territories: Sequence[Territory],
    numbers: Sequence[Mapping[str, float | None]],
    reps: Sequence[Rep],
    rep_index: Mapping[int, int],
    classes: Classes | None,
    fills: Sequence[str],
) -> dict[str, list[Any]]:
    # One list per property rather than a dict per feature: the keys would
    # otherwise be repeated 3,108 times for the counties.
    rep_names = escape_all([r.name for r in reps])
    columns: dict[str, list[Any]] = {
        "name": escape_all([t.name for t in territories], 200),
        "code": escape_all([t.code for t in territories]),
        "rep": [
            ", ".join(rep_names[rep_index[r]] for r in t.rep_ids if r in rep_index) or "no rep"
            for t in territories
        ],
        "fill": list(fills),
        "class": classes.index if classes is not None else [None] * len(territories),
    }
    for metric in METRICS:
        columns[metric] = [_rounded(n.get(metric)) for n in numbers]
    return columns


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _territory_legend(
    territories: Sequence[Territory], rep_names: Mapping[int, str], fills: Sequence[str]
) -> list[tuple[str, str]]:
    # Raw text: Legend escapes every label.
    entries = []
    for t, fill in zip(territories, fills, strict=True):
        rep = ", ".join(rep_names[r] for r in t.rep_ids if r in rep_names) or "no rep"
        entries.append((fill, f"{t.name} \u00b7 {rep}"))
    entries.sort(key=lambda e: e[1].lower())
    if len(entries) > _LEGEND_MAX_TERRITORIES:
        more = len(entries) - _LEGEND_MAX_TERRITORIES
        entries = entries[:_LEGEND_MAX_TERRITORIES] + [("transparent", f"… and {more:,} more")]
    return entries


def _largest_first(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    order = sorted(range(len(columns["r"])), key=lambda i: -columns["r"][i])
    return {key: [values[i] for i in order] for key, values in columns.items()}
