"""The interpreter's switch interval: set while an app serves, put back when it stops."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.app import create_app
from service.settings import Settings
from tests.conftest import make_settings


def test_an_app_serves_with_its_switch_interval_and_puts_the_old_one_back(tmp_path: Path) -> None:
    found = sys.getswitchinterval()
    settings = make_settings(f"sqlite:///{tmp_path / 't.db'}", switch_interval_ms=0.5)
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert sys.getswitchinterval() == found


def test_without_a_switch_interval_the_interpreter_keeps_its_own(tmp_path: Path) -> None:
    found = sys.getswitchinterval()
    with TestClient(create_app(make_settings(f"sqlite:///{tmp_path / 't.db'}"))):
        assert sys.getswitchinterval() == found


def test_the_switch_interval_is_half_a_millisecond_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).switch_interval_ms == 0.5  # type: ignore[call-arg]
    monkeypatch.setenv("TERRITORY_SWITCH_INTERVAL_MS", "2")
    assert Settings(_env_file=None).switch_interval_ms == 2  # type: ignore[call-arg]
    for bad in ("0", "-1", "101", "soon"):
        monkeypatch.setenv("TERRITORY_SWITCH_INTERVAL_MS", bad)
        with pytest.raises(ValidationError, match="switch_interval_ms"):
            Settings(_env_file=None)  # type: ignore[call-arg]
