"""HTTP routers, one per resource; ``ROUTERS`` is what the app mounts."""

from fastapi import APIRouter

from service.routers import (
    accounts,
    admin,
    changes,
    flags,
    health,
    home,
    locate,
    maps,
    pages,
    plan,
    plan_revision,
    reports,
    reps,
    session,
    territories,
    travel,
)

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    health.router,
    changes.router,
    territories.router,
    reps.router,
    accounts.router,
    accounts.books,
    locate.router,
    flags.router,
    travel.router,
    maps.router,
    admin.router,
    plan.router,
    reports.router,
    plan_revision.router,
    pages.router,
    session.router,
)
