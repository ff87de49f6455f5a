"""Dashboard charts drawn with matplotlib into inline SVG (nothing loaded at view time).

Each function returns an ``<svg>`` element as text, sized by its container.
Text stays text (``svg.fonttype = none``), which matplotlib escapes, so
names from users cannot break out of the markup.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib loads when a chart is drawn, not with the service
    from matplotlib.figure import Figure

from geo.plan.dashboard import MonthRevenue

__all__ = ["funnel_svg", "monthly_revenue_svg", "product_revenue_svg", "seasonal_index_svg"]

_BLUE, _GREY, _GREEN = "#2f6db5", "#b7c3d0", "#2e8b57"
_BUSY, _SLOW = "#c0392b", "#7fa7d6"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_TAG = re.compile(r'<svg[^>]*?\swidth="[^"]*"\s+height="[^"]*"')


def _to_svg(fig: Figure, chart_id: str) -> str:
    import matplotlib

    buf = io.StringIO()
    # A salt per chart keeps the ids of clip paths unique on a page with several charts.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = _METADATA.sub("", text[text.index("<svg") :])
    text = _SVG_TAG.sub(lambda m: m.group(0).split(" width=")[0], text, count=1)
    return text.replace("<svg", f'<svg class="chart" role="img" aria-label="{chart_id}"', 1)


def _figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=72)
    fig.set_facecolor("none")
    return fig


def _money(value: float) -> str:
    """Compact money label: 1.2M, 35k, 950.

    >>> _money(1_234_567), _money(35_000), _money(950)
    ('1.2M', '35k', '950')
    """
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"{value:.0f}"


def funnel_svg(leads: int, opportunities: int, won: int, new_accounts: int) -> str:
    """Horizontal funnel: leads, opportunities, won, new accounts, with the share of leads.

    >>> funnel_svg(20, 9, 4, 4).startswith('<svg class="chart"')
    True
    """
    labels = ["Leads", "Opportunities", "Won", "New accounts"]
    values = [leads, opportunities, won, new_accounts]
    fig = _figure(5.0, 2.4)
    ax = fig.subplots()
    bars = ax.barh(range(4), values, color=[_GREY, _BLUE, _GREEN, _GREEN], height=0.7)
    ax.set_yticks(range(4), labels)
    ax.invert_yaxis()
    for bar, value in zip(bars, values, strict=True):
        share = f" ({100 * value / leads:.0f}%)" if leads and value != leads else ""
        ax.annotate(
            f"{value}{share}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
    ax.set_xlim(0, max(values + [1]) * 1.3)
    _clean(ax, x_ticks=False)
    return _to_svg(fig, "funnel")


def product_revenue_svg(products: Sequence[tuple[str, float]], *, top: int = 8) -> str:
    """Won revenue per product, largest first (the rest summed as "other")."""
    shown = list(products[:top])
    if len(products) > top:
        shown.append(("other", sum(v for _, v in products[top:])))
    fig = _figure(5.0, 0.45 * len(shown) + 0.6)
    ax = fig.subplots()
    names = [name if len(name) <= 28 else name[:27] + "\u2026" for name, _ in shown]
    bars = ax.barh(range(len(shown)), [v for _, v in shown], color=_BLUE, height=0.65)
    ax.set_yticks(range(len(shown)), names)
    ax.invert_yaxis()
    for bar, (_, value) in zip(bars, shown, strict=True):
        ax.annotate(
            _money(value),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
    ax.set_xlim(0, max([v for _, v in shown] + [1.0]) * 1.25)
    _clean(ax, x_ticks=False)
    return _to_svg(fig, "products")


def monthly_revenue_svg(months: Sequence[MonthRevenue], *, today: date | None = None) -> str:
    """Won revenue by month beside the same months a year earlier (seasonality).

    Months after ``today`` show no bar for the current year (not a zero).
    ``months`` must not be empty.
    """
    year = months[0].month.year
    fig = _figure(13.0, 3.2)  # about the width of the page's wide card, so text keeps its size
    ax = fig.subplots()
    x = list(range(len(months)))
    ax.bar(
        [i - 0.2 for i in x],
        [m.revenue_year_ago for m in months],
        width=0.4,
        color=_GREY,
        label=str(year - 1),
    )
    shown = [i for i, m in enumerate(months) if today is None or m.month <= today]
    ax.bar(
        [i + 0.2 for i in shown],
        [months[i].revenue for i in shown],
        width=0.4,
        color=_BLUE,
        label=str(year),
    )
    ax.set_xticks(x, [_MONTHS[m.month.month - 1] for m in months])
    ax.yaxis.set_major_formatter(lambda v, _pos: _money(v))
    ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=10)
    _clean(ax, x_ticks=True)
    ax.grid(axis="y", color="#e3e8ee", linewidth=0.8)
    ax.set_axisbelow(True)
    return _to_svg(fig, "seasonality")


def seasonal_index_svg(
    index: Sequence[float], years: Sequence[int], busy: Sequence[int], slow: Sequence[int]
) -> str:
    """The monthly seasonal index as bars around the average month (1.0).

    Busy months (``busy``, 1-12) are drawn red, slow ones light blue, the
    others grey; each month's label says how many years stand behind it.
    """
    fig = _figure(13.0, 3.0)
    ax = fig.subplots()
    x = list(range(12))
    colours = [_BUSY if m + 1 in busy else _SLOW if m + 1 in slow else _GREY for m in x]
    ax.bar(x, list(index), width=0.6, color=colours)
    ax.axhline(1.0, color="#1d2733", linewidth=1, linestyle="--")
    ax.text(11.45, 1.0, " average month", va="bottom", ha="right", fontsize=9, color="#1d2733")
    for i, v in enumerate(index):
        ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=9, color="#1d2733")
    ax.set_xticks(x, [f"{_MONTHS[m]}\n{years[m]} y" for m in x])
    ax.set_ylim(0, max(1.2, max(index) * 1.15))
    from matplotlib.patches import Patch

    keys = [
        Patch(color=_BUSY, label="busy"),
        Patch(color=_SLOW, label="slow"),
        Patch(color=_GREY, label="usual"),
    ]
    ax.legend(
        handles=keys,
        frameon=False,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=3,
        fontsize=10,
    )
    _clean(ax, x_ticks=True)
    return _to_svg(fig, "seasonal index")


def _clean(ax: object, *, x_ticks: bool) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)  # type: ignore[attr-defined]
    if not x_ticks:
        ax.spines["bottom"].set_visible(False)  # type: ignore[attr-defined]
        ax.set_xticks([])  # type: ignore[attr-defined]
    ax.tick_params(labelsize=10, length=0)  # type: ignore[attr-defined]
