"""Plain HTTP against a served instance: headers, CSRF, access control, error pages, body limits.

No redirects are followed; every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client

import pytest

from conftest import HTTP_TIMEOUT, Server, WebClient, init_data_dir


@pytest.fixture(scope="module")
def site(custos_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("http")
    creds = init_data_dir(custos_bin, base / "data")
    server = Server(custos_bin, base / "data", base)
    yield server, creds
    server.stop()


def _assert_security_headers(r, what: str) -> None:
    csp = r.header("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy header"
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'self'", f"{what}: CSP default-src is not 'self': {csp}"
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", f"{what}: CSP lacks frame-ancestors 'none': {csp}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{what}: CSP allows inline/eval: {csp}"
    assert (r.header("X-Content-Type-Options") or "").lower() == "nosniff", f"{what}: X-Content-Type-Options"
    assert (r.header("Referrer-Policy") or "").lower() == "no-referrer", f"{what}: Referrer-Policy"
    # Plain http on loopback: HSTS belongs only to TLS deployments.
    assert r.header("Strict-Transport-Security") is None, f"{what}: HSTS sent over plain http"


def test_healthz(site):
    server, _ = site
    r = server.client().get("/healthz")
    assert r.status == 200
    assert r.body.strip().replace(" ", "") == '{"status":"ok"}'


def test_security_headers_on_login(site):
    server, _ = site
    r = server.client().get("/login")
    assert r.status == 200
    assert "text/html" in (r.header("Content-Type") or "")
    _assert_security_headers(r, "GET /login")


def test_security_headers_on_error_pages(site):
    server, _ = site
    c = server.client()
    _assert_security_headers(c.get("/no-such-page"), "404 page")
    _assert_security_headers(c.post_form("/login", {"username": "x", "password": "y"}), "403 page")


def test_login_form_sets_csrf_cookie_with_safe_attributes(site):
    server, _ = site
    r = server.client().get("/login")
    assert r.set_cookies, "GET /login set no cookie (csrf double-submit needs one)"
    for sc in r.set_cookies:
        attrs = [a.strip().lower() for a in sc.split(";")[1:]]
        assert "httponly" in attrs, sc
        assert "samesite=strict" in attrs, sc


def _session_cookies(r) -> list:
    return [sc for sc in r.set_cookies if "session" in sc.split("=", 1)[0].lower() and sc.split("=", 1)[1].split(";")[0]]


def test_login_without_csrf_is_refused(site):
    server, creds = site
    # Correct credentials, but no csrf field and no csrf cookie.
    c = WebClient(server.port)
    r = c.post_form("/login", {"username": creds["username"], "password": creds["password"]})
    assert r.status == 403, f"POST /login without csrf → {r.status}"
    assert not _session_cookies(r), f"a session cookie was set without csrf: {r.set_cookies}"


def test_login_with_wrong_csrf_is_refused(site):
    server, creds = site
    c = WebClient(server.port)
    c.get("/login")  # gets the csrf cookie
    r = c.post_form("/login", {"csrf": "A" * 43, "username": creds["username"], "password": creds["password"]})
    assert r.status == 403, f"POST /login with a wrong csrf token → {r.status}"
    assert not _session_cookies(r), r.set_cookies


def test_login_with_csrf_field_but_no_cookie_is_refused(site):
    server, creds = site
    token = WebClient(server.port).get("/login").csrf()  # a real token, but from another client
    c = WebClient(server.port)
    r = c.post_form("/login", {"csrf": token, "username": creds["username"], "password": creds["password"]})
    assert r.status == 403, f"POST /login with csrf field but no csrf cookie → {r.status}"
    assert not _session_cookies(r), r.set_cookies


def test_login_as_chromium_posts_it(site):
    """Because every page is served with Referrer-Policy: no-referrer, Chromium (and the Fetch
    standard) sends `Origin: null` on same-origin form POSTs, together with Sec-Fetch-Site:
    same-origin. A real browser's sign-in must work; this pins the exact headers it sends."""
    server, creds = site
    c = WebClient(server.port)
    token = c.get("/login").csrf()
    r = c.post_form("/login", {"csrf": token, "username": creds["username"], "password": creds["password"]},
                    headers={"Origin": "null", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate",
                             "Sec-Fetch-Dest": "document"})
    assert r.status == 303, f"browser-style POST /login (Origin: null, Sec-Fetch-Site: same-origin) → {r.status}"
    assert r.location_path == "/account/password", r.header("Location")


def test_login_from_same_origin_header_is_accepted(site):
    server, creds = site
    c = WebClient(server.port)
    token = c.get("/login").csrf()
    r = c.post_form("/login", {"csrf": token, "username": creds["username"], "password": creds["password"]},
                    headers={"Origin": f"http://127.0.0.1:{server.port}"})
    assert r.status == 303, f"POST /login with Origin http://127.0.0.1:{server.port} → {r.status}"


def test_login_from_foreign_origin_is_refused(site):
    server, creds = site
    c = WebClient(server.port)
    token = c.get("/login").csrf()
    r = c.post_form("/login", {"csrf": token, "username": creds["username"], "password": creds["password"]},
                    headers={"Origin": "http://evil.example"})
    assert r.status == 403, f"POST /login with Origin http://evil.example → {r.status}"
    assert not _session_cookies(r), r.set_cookies


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/"])
def test_anonymous_is_sent_to_login(site, path):
    server, _ = site
    r = server.client().get(path)
    assert r.status == 303, f"anonymous GET {path} → {r.status}"
    assert r.location_path == "/login", f"anonymous GET {path} → Location {r.header('Location')}"


def test_anonymous_post_to_admin_is_refused(site):
    server, _ = site
    c = server.client()
    token = c.get("/login").csrf()
    r = c.post_form("/admin/users", {"csrf": token, "username": "eve", "display_name": "Eve", "role": "admin"})
    assert r.status in (303, 401, 403, 404, 405), f"anonymous POST /admin/users → {r.status}"
    if r.status == 303:
        assert r.location_path == "/login"


def test_unknown_path_is_404_without_echo(site):
    server, _ = site
    c = server.client()
    probe = "<script>alert(1)</script>"
    r = c.get("/no-such-page?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status == 404, r.status
    assert "text/html" in (r.header("Content-Type") or "")
    assert probe not in r.body, "404 page echoes the query string unescaped"
    r = c.get("/%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status == 404, r.status
    assert probe not in r.body, "404 page echoes the path unescaped"
    assert "<script" not in r.body.lower(), "a page with inline script (CSP forbids it anyway)"


def _post_raw(port: int, path: str, body_len: int, extra_headers: dict) -> tuple:
    """POSTs a body of `body_len` bytes; returns (status or None, error). The server may answer
    and close before reading everything, so a reset while sending is tolerated if a status came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(body_len),
               "Connection": "close", **extra_headers}
    chunk = b"username=" + b"a" * (64 * 1024 - 9)
    try:
        conn.putrequest("POST", path)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        sent = 0
        err = None
        try:
            while sent < body_len:
                piece = chunk[: min(len(chunk), body_len - sent)] if sent == 0 else b"a" * min(len(chunk), body_len - sent)
                conn.send(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError) as e:
            err = e
        try:
            resp = conn.getresponse()
            resp.read()
            return resp.status, err
        except (http.client.HTTPException, OSError) as e:
            return None, err or e
    finally:
        conn.close()


def test_oversized_form_is_refused_and_server_survives(site):
    server, _ = site
    c = server.client()
    c.get("/login")
    cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    status, err = _post_raw(server.port, "/login", 2 * 1024 * 1024, {"Cookie": cookie})
    assert status is not None, f"no HTTP response to a 2 MB form (connection error: {err!r})"
    assert 400 <= status < 500, f"2 MB form → {status}"
    assert server.alive()
    r = server.client().get("/healthz")
    assert r.status == 200, f"/healthz after the 2 MB form → {r.status}"


def test_get_logout_does_not_sign_out(site):
    """No state change on GET: a GET /logout (e.g. an <img src> on another site) must not end a session."""
    server, creds = site
    c = server.client()
    r = c.sign_in(creds["username"], creds["password"])
    assert r.status == 303 and r.location_path == "/account/password", (r.status, r.header("Location"))
    assert c.get("/account/password").status == 200
    r = c.get("/logout")
    assert r.status in (404, 405), f"GET /logout → {r.status} {r.header('Location')}"
    assert c.get("/account/password").status == 200, "session ended by a GET request"
    # And the real sign-out (POST with csrf) does end it, server-side.
    token = c.get("/account/password").csrf()
    old_cookies = dict(c.cookies)
    r = c.post_form("/logout", {"csrf": token})
    assert r.status == 303 and r.location_path == "/login", (r.status, r.header("Location"))
    replay = WebClient(server.port)
    replay.cookies = old_cookies
    r = replay.get("/account/password")
    assert r.status == 303 and r.location_path == "/login", f"old session cookie still works after sign-out: {r.status}"


def test_static_stylesheet_is_served(site):
    server, _ = site
    r = server.client().get("/custos.css")
    assert r.status == 200
    assert "text/css" in (r.header("Content-Type") or "")
