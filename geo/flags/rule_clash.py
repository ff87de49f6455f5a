"""Whether two territories' rules could match the same account.

Same geography split by industry, product or revenue band is a clean split,
not an overlap. Revenue bands are half-open, ``[min_revenue, max_revenue)``,
as in :class:`geo.model.Rules`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from geo.model import Rules

_NEG_INF, _POS_INF = float("-inf"), float("inf")


def rules_can_overlap(a: Rules, b: Rules) -> bool:
    """True when some account could pass both rule sets.

    Parameters
    ----------
    a, b : Rules
        Territory rules; an unset rule passes everything.

    Returns
    -------
    bool
        False when the industries are disjoint, the products are disjoint, or
        the revenue bands ``[min, max)`` do not meet (a split at one figure
        does not meet); True otherwise.

    Notes
    -----
    Comparisons ignore case, as :meth:`Rules.matches` does. A product split is
    a clean split of the territory even though one account may buy products of
    both sides; such an account is a per-account conflict the assignment step
    reports, not an overlap of territories.

    Examples
    --------
    >>> rules_can_overlap(Rules(max_revenue=1e6), Rules(min_revenue=1e6))
    False
    >>> rules_can_overlap(Rules(industries=("Retail",)), Rules())
    True
    """
    return (
        _sets_meet(a.industries, b.industries)
        and _sets_meet(a.products, b.products)
        and _bands_meet(a, b)
    )


def rule_clash_table(
    rules: Sequence[Rules],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """A code per territory and a code x code table of rules_can_overlap.

    Territories share few distinct rule sets, so the table stays tiny while
    the pair filter runs vectorised.
    """
    distinct: dict[Rules, int] = {}
    codes = np.array([distinct.setdefault(r, len(distinct)) for r in rules], dtype=np.intp)
    uniq = list(distinct)
    clash = np.array([[rules_can_overlap(p, q) for q in uniq] for p in uniq], dtype=bool)
    return codes, clash.reshape(len(uniq), len(uniq))


def _sets_meet(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    if a is None or b is None:
        # An empty rule matches nothing, so it meets nothing either.
        return (a is None or len(a) > 0) and (b is None or len(b) > 0)
    return not {x.casefold() for x in a}.isdisjoint(y.casefold() for y in b)


def _bands_meet(a: Rules, b: Rules) -> bool:
    low = max(_or(a.min_revenue, _NEG_INF), _or(b.min_revenue, _NEG_INF))
    high = min(_or(a.max_revenue, _POS_INF), _or(b.max_revenue, _POS_INF))
    return low < high


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
