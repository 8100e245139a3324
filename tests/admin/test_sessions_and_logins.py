"""Logout and a password change end sessions and tokens server-side; login limits count failures only and
cannot lock a real user out of their usual address; console pages carry security headers."""
from __future__ import annotations

from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.cli import main
from tests.admin.conftest import PASSWORD, api_token, csrf_of, page_login


def _from(http, address: str) -> TestClient:
    """Another browser, at another address, on the same running app."""
    app = http.app

    async def at_address(scope, receive, send):  # noqa: ANN001, ANN202
        await app({**scope, "client": (address, 50000)} if scope["type"] == "http" else scope, receive, send)

    return TestClient(at_address)


def test_logout_ends_the_saved_cookie_and_the_accounts_tokens(console):
    http, _, world = console
    csrf = page_login(http, "staff_a")
    saved = http.cookies.get("nongbot_admin")
    token = api_token(http, "staff_a")
    assert http.get("/admin/api/tickets", headers=token).status_code == 200
    assert http.post("/admin/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    replay = _from(http, "testclient")
    replay.cookies.set("nongbot_admin", saved, domain="testserver.local", path="/admin")
    answer = replay.get("/admin/tickets", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/login")
    assert http.get("/admin/api/tickets", headers=token).status_code == 401
    # logging in again works, with a fresh session
    page_login(http, "staff_a")
    assert http.get(f"/admin/tickets/{world.ticket_a}").status_code == 200


def test_api_logout_revokes_the_bearer_token(console):
    http, _, _ = console
    token = api_token(http, "county")
    assert http.post("/admin/api/logout", headers=token).json() == {"ok": True}
    assert http.get("/admin/api/tickets", headers=token).status_code == 401
    assert http.get("/admin/api/tickets", headers=api_token(http, "county")).status_code == 200


def test_set_password_ends_sessions_and_tokens(console, monkeypatch):
    http, ctx, _ = console
    token = api_token(http, "staff_b")
    page_login(http, "staff_b")
    monkeypatch.setenv("NONGBOT_DATABASE_URL", ctx.settings.database_url)
    result = CliRunner().invoke(main, ["admin", "set-password", "staff_b", "--password", "a-new-pass-99"])
    assert result.exit_code == 0, result.output
    assert http.get("/admin/api/tickets", headers=token).status_code == 401
    assert http.get("/admin/tickets", follow_redirects=False).status_code == 303
    assert http.post("/admin/api/login", json={"username": "staff_b", "password": PASSWORD}).status_code == 401
    assert http.post("/admin/api/login", json={"username": "staff_b", "password": "a-new-pass-99"}).status_code == 200
    short = CliRunner().invoke(main, ["admin", "set-password", "staff_b", "--password", "short"])
    nobody = CliRunner().invoke(main, ["admin", "set-password", "nobody", "--password", "long-enough-1"])
    assert short.exit_code == 1 and "8 characters" in short.output
    assert nobody.exit_code == 1 and "no user" in nobody.output


def test_successful_logins_do_not_count_against_an_office_behind_one_address(console):
    http, _, _ = console
    for _ in range(4):  # 16 logins from one address: past the limit of 10
        for name in ("county", "staff_a", "staff_b", "viewer"):
            assert http.post("/admin/api/login", json={"username": name, "password": PASSWORD}).status_code == 200


def test_a_lockout_cannot_keep_the_real_user_out_of_their_usual_address(console):
    http, _, _ = console
    office, attacker, elsewhere = _from(http, "10.0.0.5"), _from(http, "203.0.113.9"), _from(http, "198.51.100.7")
    assert office.post("/admin/api/login", json={"username": "staff_a", "password": PASSWORD}).status_code == 200
    guesses = [attacker.post("/admin/api/login", json={"username": "staff_a", "password": f"guess{i}"}).status_code
               for i in range(12)]
    assert guesses[:10] == [401] * 10 and guesses[10:] == [429, 429]
    # the attacker's own address is locked for every account; an unknown address for this account too
    assert attacker.post("/admin/api/login", json={"username": "county", "password": PASSWORD}).status_code == 429
    assert elsewhere.post("/admin/api/login", json={"username": "staff_a", "password": PASSWORD}).status_code == 429
    # the real user, from where they logged in before, still gets in
    assert office.post("/admin/api/login", json={"username": "staff_a", "password": PASSWORD}).status_code == 200


def test_guessing_from_a_known_address_is_limited_too(console):
    http, _, _ = console
    office = _from(http, "10.0.0.6")
    assert office.post("/admin/api/login", json={"username": "viewer", "password": PASSWORD}).status_code == 200
    statuses = [office.post("/admin/api/login", json={"username": "viewer", "password": f"g{i}"}).status_code
                for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_console_pages_carry_security_headers(console):
    http, _, world = console
    page_login(http, "county")
    for path in ("/admin/login", "/admin/tickets", f"/admin/tickets/{world.ticket_a}", "/admin/tickets/2147483648",
                 "/admin/api/tickets"):
        headers = http.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
