"""OR-Tools as an optional tour solver, imported only when asked for.

Kept apart from `geo.travel.tour` so that the service runs without the ``ortools``
wheel (an optional extra: ``territory-mapper[routing]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo.errors import GeoError, InvalidInputError

__all__ = ["SolverUnavailableError", "ortools_tour"]


class SolverUnavailableError(GeoError):
    """The optional routing solver that was asked for is not installed."""

    code = "solver-unavailable"
    title = "Routing solver unavailable"


def ortools_tour(d: np.ndarray, time_limit_s: float) -> list[int]:
    """Round trip from 0 by OR-Tools routing with guided local search.

    Parameters
    ----------
    d : numpy.ndarray
        ``(n, n)`` distances, km in this project, ``n >= 1``; scaled by 1000
        and rounded to integer arc costs (metres).
    time_limit_s : float
        Wall time; guided local search always runs until it.

    Returns
    -------
    list of int
        ``[0, ..., 0]``.

    Raises
    ------
    SolverUnavailableError
        When the ``ortools`` package is not installed.
    """
    pywrapcp, enums = _import_ortools()
    manager = pywrapcp.RoutingIndexManager(len(d), 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    # Integer arc costs: scale by 1000 (km -> m) so rounding stays below a metre per leg.
    transit = routing.RegisterTransitMatrix(np.rint(d * 1000.0).astype(np.int64).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = enums.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        raise InvalidInputError("OR-Tools found no tour within the time limit")
    order, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return [*order, 0]


def _import_ortools() -> tuple[Any, Any]:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError as exc:
        raise SolverUnavailableError(
            "method='ortools' needs the optional OR-Tools package: "
            "pip install 'territory-mapper[routing]'"
        ) from exc
    return pywrapcp, routing_enums_pb2
