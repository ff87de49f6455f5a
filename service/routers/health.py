"""/healthz and /readyz for orchestrators."""

from __future__ import annotations

import pyproj
import shapely
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

import service
from service.routers.docs import COMMON
from service.schemas.operations import HealthOut, ReadyOut
from service.web.deps import LiveIndexCacheDep, LiveStoreDep
from service.web.problems import not_ready

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, operation_id="healthz")
async def healthz() -> HealthOut:
    """The process is up (answers at once, even while the index is built); library versions."""
    return HealthOut(
        status="ok",
        version=service.__version__,
        shapely=shapely.__version__,
        geos=".".join(str(p) for p in shapely.geos_version),
        pyproj=pyproj.__version__,
        proj=pyproj.proj_version_str,
    )


@router.get("/readyz", response_model=ReadyOut, operation_id="readyz", responses={503: COMMON[503]})
async def readyz(index_cache: LiveIndexCacheDep, store: LiveStoreDep) -> ReadyOut:
    """Ready for traffic: the territory index is built and the database answers; 503 problem before."""
    if not index_cache.is_ready():
        raise not_ready()
    ping = await run_in_threadpool(store.ping)
    return ReadyOut(status="ready", backend=ping["backend"])
