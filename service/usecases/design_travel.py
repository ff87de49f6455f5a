"""Workload designs that agree with the travel model.

The search needs travel hours per unit and rep that cost nothing to look up
(:func:`geo.design.aggregate.travel_hours`: a share of a day trip per visit).
The travel model (:func:`geo.travel.load.estimate_travel_load`) plans whole
months of tours and also counts the hops between stops, so the day-trip
share runs low, by a factor that depends on each rep's book. One
calibration settles it: plan each rep's month for the first design, scale
that rep's travel column by model hours over proxy hours, and improve the
design from where it is with the scaled figures; the report's workload is
then the model's within a few percent.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from geo.design.model import DesignRequest, ShouldStop
from geo.travel.load import estimate_travel_load
from geo.travel.visits import TravelSettings
from service.usecases.design_input import DesignPlan

__all__ = ["calibrated_request", "has_travel"]

WORKLOAD = "workload_hours"


def has_travel(plan: DesignPlan) -> bool:
    """Whether the design balances workload with travel (and so is calibrated)."""
    names = [m.name for m in plan.request.metrics]
    return plan.request.extra is not None and WORKLOAD in names and plan.books is not None


def calibrated_request(
    plan: DesignPlan,
    assignment: np.ndarray,
    settings: TravelSettings,
    should_stop: ShouldStop | None = None,
) -> DesignRequest | None:
    """The request with every rep's travel scaled to the travel model's hours.

    None when there is no travel to calibrate, or when ``should_stop``
    (polled before each rep's month, so a job beats and cancels) says stop.
    """
    request, books = plan.request, plan.books
    if not has_travel(plan) or request.extra is None or books is None:
        return None
    j = [m.name for m in request.metrics].index(WORKLOAD)
    owners = books.owners(assignment)
    factors = np.ones(request.k)
    for t, rep in enumerate(plan.reps):
        if should_stop is not None and should_stop():
            return None
        proxy = float(request.extra[assignment == t, t, j].sum())
        if rep is None or rep.home is None or proxy <= 0:
            continue
        book = [a for a, o in zip(books.accounts, owners.tolist(), strict=True) if o == t]
        driving = estimate_travel_load(rep, book, settings).driving_hours
        if driving is not None and driving > 0:
            factors[t] = driving / proxy
    extra = request.extra.copy()
    extra[:, :, j] *= factors[None, :]
    return replace(request, extra=extra)
