"""Problems with rich bodies: the use-cases' refusals that name more than one thing.

A refused change set lists every refused operation; a scenario whose live
plan moved on lists what changed there; a rebase conflict lists the
territories both plans changed; a scenario naming deleted reps lists each. The use-cases raise domain errors carrying
those members; this module is where they become problem+json, next to the
one status table of :mod:`service.web.problems` that decides each status.

A refused change set's status is the first of this fixed order among its
refusals: 403 (not allowed) > 404 (no such territory) > 412 (stale version) >
409 (overlap under ``reject``, a code taken, children left) > 422 (invalid):
a caller who may not write is told so first, and a stale set must be
reloaded before its other problems matter.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from geo.errors import GeoError, Issue
from service.storage.errors import StorageError
from service.usecases.change_sets import ChangeSetRefusedError, OpFailure
from service.usecases.scenario_rebase import RebaseConflictError
from service.usecases.scenarios import MissingRepError, ScenarioStaleError
from service.web.http import etag_for
from service.web.problems import STATUS_BY_ERROR, HTTPProblem, problem_response

SEVERITY = (403, 404, 412, 409, 422)


def add_refusal_handlers(app: FastAPI) -> None:
    """Register the handlers of the use-cases' rich refusals."""
    app.add_exception_handler(ChangeSetRefusedError, _change_set_refused)
    app.add_exception_handler(ScenarioStaleError, _scenario_stale)
    app.add_exception_handler(RebaseConflictError, _rebase_conflict)
    app.add_exception_handler(MissingRepError, _missing_rep)


async def _change_set_refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ChangeSetRefusedError)
    statuses = [_status(f.error) for f in exc.failures]
    status = min(statuses, key=lambda s: SEVERITY.index(s) if s in SEVERITY else len(SEVERITY))
    refused = ", ".join(str(f.index) for f in exc.failures)
    return problem_response(
        request,
        status,
        "change-set-refused",
        "Change set refused",
        f"Operation(s) {refused} were refused; nothing was written.",
        [i for f in exc.failures for i in _issues(f)],
        extra={"refused": [f.index for f in exc.failures]},
    )


def _status(error: Exception) -> int:
    if isinstance(error, HTTPProblem):
        return error.status
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def _issues(f: OpFailure) -> list[Issue]:
    base = f"/operations/{f.index}"
    # Pointers of a create or replace point into its Feature.
    inner = base + "/feature" if f.kind in ("create", "replace") else base
    error = f.error
    if isinstance(error, GeoError) and error.issues:
        return [Issue(inner + i.pointer, i.reason, i.location, i.code) for i in error.issues]
    code = error.code if isinstance(error, GeoError | StorageError | HTTPProblem) else "refused"
    detail = error.detail if isinstance(error, GeoError | StorageError | HTTPProblem) else ""
    where = {412: "/if_match", 404: "/id"}.get(_status(error), "")
    return [Issue(base + where, detail or str(error), code=code)]


async def _scenario_stale(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScenarioStaleError)
    changed = sorted(exc.changed.items())
    return problem_response(
        request,
        412,
        exc.code,
        "Live plan moved on",
        exc.detail,
        [Issue(f"/territories/{t}", f"{k} in the live plan", code=f"live-{k}") for t, k in changed],
        headers={"ETag": etag_for(exc.current_version)},
        extra={
            "live_revision": exc.current_version,
            "changed": [{"territory_id": t, "change": k} for t, k in changed],
        },
    )


async def _rebase_conflict(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RebaseConflictError)
    return problem_response(
        request,
        409,
        "rebase-conflict",
        "Rebase conflict",
        f"{exc} Nothing was written; send on_conflict keep_live or keep_scenario.",
        [
            Issue(
                f"/territories/{c.territory_id}" + ("/goals" if c.subject == "goals" else ""),
                f"{'goals ' if c.subject == 'goals' else ''}{c.live} in the live plan "
                f"and {c.scenario} in the scenario",
                code="conflict",
            )
            for c in exc.conflicts
        ],
    )


async def _missing_rep(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MissingRepError)
    title = "Scenario names deleted reps"
    return problem_response(request, 409, exc.code, title, exc.detail, exc.issues)
