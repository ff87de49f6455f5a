"""/reports: one-page PDF reports people can forward (a territory, a rep)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response

from service.auth import ANYONE, STAFF, Principal, allow, ensure_own_rep
from service.routers.docs import READ_RESPONSES
from service.usecases.plan_context import PeriodQuery, TodayQuery, load_plan
from service.views.reports import rep_report_pdf, territory_report_pdf
from service.web.deps import RepId, SettingsDep, StoreDep, TerritoryId

router = APIRouter(prefix="/reports", tags=["plan"])
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "A one-page PDF."}
}


@router.get(
    "/territories/{territory_id}.pdf",
    responses={**PDF, **READ_RESPONSES},
    operation_id="territory_report",
    response_class=Response,
)
def territory_report(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    territory_id: TerritoryId,
    period: PeriodQuery = None,
    today: TodayQuery = None,
) -> Response:
    """A leaf territory's one-pager: map, KPIs, goals and its top accounts (PDF)."""
    pdf = territory_report_pdf(load_plan(store, period, today), territory_id, settings)
    return _pdf(pdf, f"territory-{territory_id}.pdf")


@router.get(
    "/reps/{rep_id}.pdf",
    responses={**PDF, **READ_RESPONSES},
    operation_id="rep_report",
    response_class=Response,
)
def rep_report(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    rep_id: RepId,
    period: PeriodQuery = None,
    today: TodayQuery = None,
) -> Response:
    """A rep's one-pager: their book, workload, goals and top accounts (PDF); a rep gets only their own."""
    ensure_own_rep(principal, rep_id)
    pdf = rep_report_pdf(load_plan(store, period, today), rep_id, settings)
    return _pdf(pdf, f"rep-{rep_id}.pdf")


def _pdf(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-cache",
        },
    )
