"""The staff session cookie: always HttpOnly and SameSite=Lax; Secure when the browser came over https
(directly or through a TLS-terminating reverse proxy) or when NONGBOT_COOKIE_SECURE says so."""
from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.admin.conftest import PASSWORD, csrf_of

HTTPS_PROXY = {"X-Forwarded-Proto": "https"}


def _session_cookie(answer) -> str:
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("nongbot_admin=")]
    return cookie.lower()


def _carry_secure_cookie(http, page) -> None:
    """The test client talks plain http and keeps a Secure cookie to itself; send it back as the browser,
    which talked https to the proxy, would."""
    cookie = _session_cookie(page)
    if "secure" in cookie.split("; "):
        http.cookies.clear()
        http.cookies.set("nongbot_admin", page.cookies["nongbot_admin"], domain="testserver.local", path="/admin")


def _login(http, headers=None):
    page = http.get("/admin/login", headers=headers)
    _carry_secure_cookie(http, page)
    return http.post("/admin/login", data={"username": "staff_a", "password": PASSWORD, "next": "/admin/tickets",
                                          "csrf_token": csrf_of(page.text)}, headers=headers, follow_redirects=False)


def test_plain_http_demo_cookie_is_not_secure_but_http_only_and_same_site(console):
    http, _, _ = console
    cookie = _session_cookie(_login(http))
    assert "secure" not in cookie.split("; ") and "httponly" in cookie and "samesite=lax" in cookie


@pytest.mark.parametrize("headers", [HTTPS_PROXY, {"X-Forwarded-Proto": "https, http"},
                                     {"Forwarded": "for=203.0.113.7;proto=https"}])
def test_behind_a_tls_proxy_the_cookie_is_secure(console, headers):
    http, _, _ = console
    login_page = http.get("/admin/login", headers=headers)
    assert "secure" in _session_cookie(login_page).split("; ")
    answer = _login(http, headers)
    assert answer.headers["location"] == "/admin/tickets"  # logged in: the session cookie went round
    cookie = _session_cookie(answer)
    assert {"secure", "httponly", "samesite=lax", "path=/admin"} <= set(cookie.split("; "))


@pytest.mark.parametrize("console", [{"cookie_secure": True}], indirect=True)
def test_cookie_secure_setting_forces_secure_on_plain_http(console):
    http, _, _ = console
    assert "secure" in _session_cookie(http.get("/admin/login")).split("; ")


@pytest.mark.parametrize("console", [{"cookie_secure": False}], indirect=True)
def test_cookie_secure_off_is_never_secure(console):
    http, _, _ = console
    assert "secure" not in _session_cookie(http.get("/admin/login", headers=HTTPS_PROXY)).split("; ")


def test_logout_clears_the_cookie_with_the_same_attributes(console):
    http, _, _ = console
    page = http.get("/admin/login", headers=HTTPS_PROXY)
    _carry_secure_cookie(http, page)
    answer = http.post("/admin/logout", data={"csrf_token": csrf_of(page.text)}, headers=HTTPS_PROXY,
                       follow_redirects=False)
    cookie = _session_cookie(answer)
    assert "max-age=0" in cookie and {"secure", "httponly", "samesite=lax"} <= set(cookie.split("; "))


@pytest.mark.parametrize(("value", "expected"), [("auto", None), ("", None), ("true", True), ("1", True),
                                                 ("false", False), ("0", False)])
def test_nongbot_cookie_secure_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("NONGBOT_COOKIE_SECURE", value)
    assert Settings().cookie_secure is expected
