"""HTTP routers, one per resource; ``ROUTERS`` is what the app mounts."""

from fastapi import APIRouter

from service.routers import (
    accounts,
    admin,
    flags,
    health,
    jobs,
    locate,
    maps,
    pages,
    plan,
    reps,
    session,
    territories,
    travel,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
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
    pages.router,
    session.router,
    jobs.router,
)
