"""Property-based API testing over our own OpenAPI document, in-process.

Bounded and deterministic: a fixed number of derandomized examples per
operation. Checks: no 5xx on any generated input, every status code and
content type documented, and bodies that match their documented schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until_ready

_DB = Path("/tmp") / "territory-schemathesis.db"


def _app():  # type: ignore[no-untyped-def]
    # schemathesis needs the app when the module is collected; a store on a
    # private temporary file keeps runs independent.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_DB}{suffix}").unlink(missing_ok=True)
    return create_app(make_settings(f"sqlite:///{_DB}"))


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# The fuzzing phase only: the coverage phase enumerates every boundary of
# every parameter, which multiplies the run time by ten for little more.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    from fastapi.testclient import TestClient

    with TestClient(APP) as client:
        wait_until_ready(client)
        yield


def _wait_until_ready(case: schemathesis.Case, timeout_s: float = 120.0) -> None:
    # Recent schemathesis versions start the app's lifespan anew for each
    # test, and /readyz answers 503 by design until the index is built in the
    # background: wait like an orchestrator, then check the ready answer.
    deadline = time.monotonic() + timeout_s
    while case.call().status_code == 503:
        if time.monotonic() > deadline:
            raise AssertionError("the app did not become ready")
        time.sleep(0.05)


@schema.parametrize()
@settings(max_examples=12, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_answers_only_what_it_documents(case: schemathesis.Case) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_TOKEN}"}
    if case.path == "/readyz":
        _wait_until_ready(case)
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
