"""Sign-in hardening: guessing is throttled, sessions are their own revocable ids, pages carry CSP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import hash_token
from service.storage import Store
from tests.conftest import ADMIN_TOKEN, ApiClient, make_settings
from tests.service.test_accounts_api import rep, square, territory


def test_token_guessing_is_throttled_per_address_with_retry_after(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, anonymous_rate_per_minute=5)
    with TestClient(create_app(settings)) as guesser:
        answers = [
            guesser.post("/session", json={"token": f"tm_guess{i}"}).status_code for i in range(5)
        ]
        assert answers == [401] * 5
        blocked = guesser.post("/session", json={"token": ADMIN_TOKEN})
        # Spent budget: even the right token is not looked at, so guessing learns nothing.
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
        assert guesser.get("/accounts", headers={"Authorization": "Bearer tm_x"}).status_code == 429
        assert guesser.get("/accounts").status_code == 429


def test_requests_without_a_token_are_throttled_and_valid_ones_are_not_counted(
    sqlite_url: str,
) -> None:
    settings = make_settings(sqlite_url, anonymous_rate_per_minute=3)
    with TestClient(create_app(settings)) as c:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        for _ in range(10):
            assert c.get("/reps", headers=admin).status_code == 200
        assert [c.get("/reps").status_code for _ in range(4)] == [401, 401, 401, 429]


def _signed_in(settings_url: str) -> tuple[TestClient, str]:
    settings = make_settings(settings_url)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as a:
        ann = rep(a, "Ann", (-83.5, 39.5))  # type: ignore[arg-type]
        territory(a, "A", square(-84, 39), rep_ids=[ann])  # type: ignore[arg-type]
        token = a.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": ann}).json()[
            "token"
        ]
    return TestClient(create_app(settings)), token


def test_session_cookie_is_a_separate_short_lived_id_revoked_on_sign_out(sqlite_url: str) -> None:
    browser, token = _signed_in(sqlite_url)
    with browser:
        signed = browser.post("/session", json={"token": token})
        assert signed.status_code == 200
        cookie = browser.cookies["tm_session"]
        assert cookie != token and cookie.startswith("tms_")
        header = signed.headers["set-cookie"].lower()
        assert "max-age" not in header and "expires" not in header
        store = Store.open(sqlite_url)
        with store.read() as tx:
            record = tx.token_by_hash(hash_token(cookie))
        store.dispose()
        assert record is not None and record.role == "rep"
        assert record.expires_at is not None
        lifetime = record.expires_at.replace(tzinfo=UTC) - datetime.now(UTC)
        assert timedelta(minutes=60) < lifetime <= timedelta(hours=2)
        assert browser.get("/session").json()["name"] == "ann"
        # The session id never works as a bearer token.
        as_bearer = {"Authorization": f"Bearer {cookie}"}
        assert browser.get("/reps", headers=as_bearer).status_code == 401
        assert browser.delete("/session").status_code == 204
        # The old cookie, replayed after sign-out, is dead on the server.
        browser.cookies.set("tm_session", cookie)
        assert browser.get("/session").status_code == 401


def test_a_raw_token_in_the_cookie_is_not_a_session(sqlite_url: str) -> None:
    browser, token = _signed_in(sqlite_url)
    with browser:
        browser.cookies.set("tm_session", token)
        assert browser.get("/session").status_code == 401


HTML_PAGES = ["/maps/coverage", "/dashboards", "/editor", "/me", "/docs"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_page_has_a_nonce_csp_and_refuses_framing(
    sqlite_client: ApiClient, path: str
) -> None:
    r = sqlite_client.get(path)
    assert r.status_code == 200, r.text
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    scripts = re.findall(r"<script\b[^>]*>", r.text, flags=re.IGNORECASE)
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    if nonce is None:
        # A page with its own policy runs no inline script at all.
        assert all("src=" in s for s in scripts)
    else:
        assert all(f'nonce="{nonce.group(1)}"' in s for s in scripts)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    again = sqlite_client.get(path).headers["content-security-policy"]
    assert nonce is None or again != csp  # a fresh nonce per response


def test_json_answers_carry_nosniff_but_no_page_policy(sqlite_client: ApiClient) -> None:
    r = sqlite_client.get("/reps")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in r.headers
