"""HTTP routers, one per resource; ``ROUTERS`` is what the app mounts."""

from fastapi import APIRouter

from service.routers import (
    accounts,
    admin,
    cadence,
    flags,
    health,
    home,
    locate,
    maps,
    pages,
    plan,
    reports,
    reps,
    schedules,
    seasonality,
    session,
    territories,
    travel,
)

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    health.router,
    territories.router,
    reps.router,
    cadence.router,
    schedules.router,
    seasonality.router,
    accounts.router,
    accounts.books,
    locate.router,
    flags.router,
    travel.router,
    maps.router,
    admin.router,
    plan.router,
    reports.router,
    pages.router,
    session.router,
)
