"""/healthz and /readyz for orchestrators."""

from __future__ import annotations

from typing import Any

import pyproj
import shapely
from fastapi import APIRouter

import service
from service.routers.docs import COMMON
from service.web.deps import StoreDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    """The process is up; versions of the app and its geometry libraries."""
    return {
        "status": "ok",
        "version": service.__version__,
        "shapely": shapely.__version__,
        "geos": ".".join(str(p) for p in shapely.geos_version),
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
    }


@router.get("/readyz", operation_id="readyz", responses={503: COMMON[503]})
def readyz(store: StoreDep) -> dict[str, Any]:
    """The database answers; 503 problem when it does not."""
    return {"status": "ready", **store.ping()}
