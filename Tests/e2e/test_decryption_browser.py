"""A real browser through dual-approval decryption (issue 5), on `custos demo`'s data.

Separate sessions (two Chromium instances; the custodians take turns in the second, signing out
between): an auditor selects two messages on the search page and files a request; the first
custodian sees the request in the browser and approves it with `custos custodian approve` on its own
device, the partials computed there (the content stays closed; the page has no passphrase field); the
requester finds no way to approve; the second custodian approves on its device and the grant opens; the auditor reads both messages
(watermark of viewer and time, no-store), and the audit log holds both views with the grant; then
the server's clock is moved past the grant's end (a debug build reads an offset from the file named
by CUSTOS_TEST_CLOCK_OFFSET_FILE), the content is refused and no key material for the grant is left
in the database file or its WAL. (Revocation is covered in Tests/CustosWebTests/DecryptionTests.)

Screenshots go to test-output/decryption-browser/. Skips only where Chromium, chromedriver or
selenium are missing; everything stays on loopback.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import OUTPUT, current_counter, custodian_cli, open_db, start_demo, totp
from test_browser import CHROMEDRIVER, CHROMIUM, WAIT
from test_search_browser import SearchFlow

SHOTS = OUTPUT / "decryption-browser"


@pytest.fixture(scope="module")
def demo(custos_bin, tmp_path_factory):
    """`custos demo` once its sample is captured; yields (server, data dir, credentials, clock offset file)."""
    base = tmp_path_factory.mktemp("decryption-demo")
    offset = base / "clock-offset"
    offset.write_text("0")
    server, data, creds = start_demo(custos_bin, base, clock_offset=offset)
    try:
        yield server, data, creds, offset
    finally:
        server.stop()


def chromium():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        pytest.skip(f"browser test needs Chromium and chromedriver; not installed: {', '.join(missing)}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("browser test needs selenium (pip install -r Tests/e2e/requirements.txt)")
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps", "--disable-extensions"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(WAIT)
    return driver


@pytest.fixture
def two_browsers():
    first = chromium()
    try:
        second = chromium()
    except BaseException:
        first.quit()
        raise
    try:
        yield first, second
    finally:
        first.quit()
        second.quit()


class Person(SearchFlow):
    def sign_in_with_totp(self, username: str, password: str, secret: str) -> int:
        """Password, then the TOTP step; returns the time step used (approvals need a later one)."""
        self.sign_in(username, password)
        self.wait_path("/login/totp")
        counter = current_counter()
        self.fill("#code", totp(secret, counter=counter))
        self.click("#verify-code")
        self.wait_path("/")
        return counter

    def sign_out(self) -> None:
        self.click("#sign-out")
        self.wait_path("/login")


def test_request_approvals_reading_and_expiry_in_separate_sessions(demo, two_browsers, custos_bin):
    server, data, creds, clock_offset = demo
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    base = f"http://127.0.0.1:{server.port}"
    auditor_creds = next(u for u in creds["users"] if "auditor" in u["roles"])
    keepers = creds["custodians"]
    assert len(keepers) >= 2 and all(k["passphrase"] and k["totp_secret"] and k["key_file"] for k in keepers)
    a = Person(two_browsers[0], base, SHOTS, "auditor")
    c = Person(two_browsers[1], base, SHOTS, "custodian")

    # 1. The auditor selects two messages on the search page and files a request.
    a.sign_in(auditor_creds["username"], auditor_creds["password"])
    a.wait_path("/")
    a.go("/search?domain=enron.com")
    ids = a.result_ids()[:2]
    assert len(ids) == 2
    for mid in ids:
        a.el(f"#select-{mid}").click()
    a.shot("selected")
    a.click("#request-selected")
    a.wait_path("/requests/new")
    assert a.el("#selected-count").text.strip() == "2"
    a.fill("#justification", "Suspected disclosure of trading positions <b>before</b> the Q3 filing.")
    a.fill("#reference", "MATTER-2026-014")
    a.d.execute_script("document.getElementById('hours').value = '1';")
    a.click("#file-request")
    m = re.fullmatch(r"/requests/(\d+)", a.path())
    assert m, a.d.current_url
    request_id = int(m.group(1))
    request_path = a.path()
    assert "Waiting for approvals" in a.el("#request-status").text
    assert "<b>before</b>" in a.el("#justification").text, "the justification must come back as text"
    a.shot("filed")

    # 2. The first custodian approves; the content stays closed.
    first = keepers[0]
    login_step = c.sign_in_with_totp(first["username"], first["password"], first["totp_secret"])
    c.go(request_path)
    assert "MATTER-2026-014" in c.text() and "Suspected disclosure" in c.text()
    c.shot("to-decide")
    command = c.el("#approve-command").text
    assert f"custos custodian approve --server {base} --key custodian.key {request_id}" in command, command
    assert not c.d.find_elements(c.By.CSS_SELECTOR, "input[type=password], input[name=passphrase]"), "a passphrase field"
    approved = custodian_cli(custos_bin, first, "approve", "--server", base, str(request_id))
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "Approved (1 of 2)" in approved.stdout and "MATTER-2026-014" in approved.stdout, approved.stdout
    c.go(request_path)
    assert c.el("#approvals").text.strip().startswith("1 of 2")
    c.shot("approved-once")
    a.go(f"/messages/{ids[0]}/content")
    assert "403" in a.h1() or "Forbidden" in a.h1(), a.h1()
    assert "no live grant" in a.text()

    # 3. The requester finds no way to approve: no command, and no approve route on the web at all.
    a.go(request_path)
    assert not a.d.find_elements(a.By.CSS_SELECTOR, "#approve-command, #approve"), "the requester is offered a way to approve"
    a.d.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "for (const [k, v] of [['csrf', arguments[1]], ['passphrase', 'x'.repeat(20)], ['totp', '123456']]) {"
        "  const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }"
        "document.body.appendChild(f); window.__custosMark = 1; f.submit();",
        request_path + "/approve", a.el("input[name=csrf]").get_attribute("value"))
    a.Wait(a.d, WAIT).until(lambda d: d.execute_script("return window.__custosMark === undefined && document.readyState === 'complete';"))
    assert a.h1().lower() in ("not found", "method not allowed") or "404" in a.h1(), a.h1()
    a.shot("requester-refused")

    # 4. The second custodian approves in a session of its own: the grant opens.
    c.sign_out()
    second = keepers[1]
    login_step = c.sign_in_with_totp(second["username"], second["password"], second["totp_secret"])
    c.go(request_path)
    granted = custodian_cli(custos_bin, second, "approve", "--server", base, str(request_id))
    assert granted.returncode == 0 and "Your approval completed the request" in granted.stdout, granted.stdout + granted.stderr
    c.go(request_path)
    assert "Granted" in c.el("#request-status").text
    c.shot("granted")

    with open_db(data) as db:
        sealed_keys = [row[0] for row in db.execute("SELECT sealed FROM grant_keys WHERE request_id = ?", (request_id,))]
    assert len(sealed_keys) == 2

    # 5. The auditor reads both messages.
    for mid in ids:
        a.go(request_path)
        a.follow(a.el(f"a[href='/messages/{mid}/content']"))
        a.wait_path(f"/messages/{mid}/content")
        mark = a.el("#watermark").text
        assert auditor_creds["username"] in mark and "Viewed by" in mark and f"grant #{request_id}" in mark, mark
        headers = a.el("#message-headers").text
        assert "From" in headers and "Subject" in headers, headers
        assert a.el("#message-body").text.strip(), "empty body"
        a.shot(f"read-{mid}")
    with open_db(data) as db:
        views = db.execute("SELECT actor, target, details FROM audit_events WHERE action = 'content.viewed' ORDER BY seq").fetchall()
    assert [v[1] for v in views] == [f"message:{mid}" for mid in ids], views
    assert all(v[0] == auditor_creds["username"] and f'"grant":"request:{request_id}"' in v[2] for v in views), views

    # 6. The server's clock passes the grant's end (1 hour): content refused, keys gone from the disk.
    clock_offset.write_text(str(3_700))
    a.go(f"/messages/{ids[0]}/content")
    if a.path() == "/login":  # the session also outlived its 15 idle minutes
        a.sign_in(auditor_creds["username"], auditor_creds["password"])
        a.wait_path("/")
        a.go(f"/messages/{ids[0]}/content")
    assert "403" in a.h1() or "Forbidden" in a.h1(), a.h1()
    a.go(request_path)
    assert "expired" in a.el("#request-status").text.lower()
    with open_db(data) as db:
        left = db.execute("SELECT (SELECT count(*) FROM grant_keys WHERE request_id = ?) + "
                          "(SELECT count(*) FROM request_partials WHERE request_id = ?)", (request_id, request_id)).fetchone()[0]
        expired = db.execute("SELECT count(*) FROM audit_events WHERE action = 'grant.expired' AND target = ?",
                             (f"request:{request_id}",)).fetchone()[0]
    assert left == 0 and expired == 1
    raw = (data / "custos.sqlite").read_bytes()
    wal = Path(str(data / "custos.sqlite") + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    for sealed in sealed_keys:
        assert bytes(sealed[-32:]) not in raw, "an expired grant's key is still in the database file or its WAL"
    a.shot("refused-after-expiry")
