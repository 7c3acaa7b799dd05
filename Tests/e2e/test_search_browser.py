"""A real browser (headless Chromium through Selenium) on the auditor's workbench (issue 4).

`custos demo` creates the users and captures the sample corpus (240 Enron mails, 158 Slack
messages) through the real capture path. Then:

- an auditor signs in, searches through the form, pages, narrows by date through the shareable
  URL, opens a message and its conversation, saves the search and exports the result set as CSV
  through a real browser download;
- what a user types (a participant, a saved search's name) comes back escaped, never run;
- a security user and an administrator (password + TOTP) are refused the page with a 403;
- a URL naming an unknown platform is refused with a message (issue 4, item 5).

Counts seen in the browser are compared with what the server answers over plain HTTP for the same
URL, and with the facet counts. One known Enron mail is found by sender and time and opened: its
subject and body never appear on any page or in the CSV. Full-page screenshots go to
test-output/search-browser/ (gitignored). Skips only where Chromium, chromedriver or selenium are
missing; everything stays on loopback.
"""

from __future__ import annotations

import csv
import email
import email.policy
import email.utils
import html
import io
import os
import re
import shutil
import time
import urllib.parse
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

import pytest

from conftest import DEMO_MESSAGES, OUTPUT, REPO, WebClient, current_counter, start_demo, totp
from test_browser import CHROMEDRIVER, CHROMIUM, WAIT, Flow

SHOTS = OUTPUT / "search-browser"

BROAD = {"domain": "enron.com"}
NARROW = {"domain": "enron.com", "after": "2001-06-01", "before": "2001-12-31"}
PARTICIPANT = "sally.beck@enron.com"
XSS = "<script>alert(1)</script>"
XSS_NAME = '<img src=x onerror="alert(2)">'


def search_path(params: dict) -> str:
    return "/search?" + urllib.parse.urlencode(params)


@dataclass
class Probe:
    """One Enron mail from the sample: its subject and body must never be shown; sender and time find it."""
    subject: str
    body_line: str
    sender: str
    sent: str  # as the result table shows it: "YYYY-MM-DD HH:MM UTC"
    day: str


def enron_probe() -> Probe:
    """The first Enron file (sorted by path), read with the standard library."""
    files = sorted(p for p in (REPO / "Demo" / "corpus" / "enron").rglob("*") if p.is_file())
    assert files, "no Enron sample files under Demo/corpus/enron"
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.compat32)
    subject = " ".join(str(msg["Subject"] or "").split())
    assert len(subject) >= 8, f"{files[0]}: subject too short to be a useful probe: {subject!r}"
    body = msg.get_payload(decode=True).decode("utf-8", errors="replace")
    body_line = next((" ".join(line.split()) for line in body.splitlines() if len(line.strip()) >= 20), "")
    assert body_line, f"{files[0]}: no body line of 20 characters or more to probe for"
    sender = email.utils.parseaddr(str(msg["From"]))[1].lower()
    sent = email.utils.parsedate_to_datetime(str(msg["Date"])).astimezone(timezone.utc)
    return Probe(subject, body_line, sender, sent.strftime("%Y-%m-%d %H:%M UTC"), sent.strftime("%Y-%m-%d"))


def no_content(where: str, page_source: str, text: str, probe: Probe) -> None:
    collapsed = " ".join(text.split())
    source = " ".join(page_source.split())
    for what, value in (("subject line", probe.subject), ("body text", probe.body_line)):
        assert value not in collapsed and value not in source, f"{what} {value!r} shown on {where}"


# --------------------------------------------------------------------------------------------
# Fixtures: one demo server for the module, a browser with a download directory per test
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(custos_bin, tmp_path_factory):
    """`custos demo` on a free loopback port, once the 398 sample messages are captured.

    Yields (server, {username: user}); the server is stopped at teardown.
    """
    server, _, creds = start_demo(custos_bin, tmp_path_factory.mktemp("search-demo"))
    try:
        yield server, {u["username"]: u for u in creds["users"]}
    finally:
        server.stop()


@pytest.fixture
def downloads(tmp_path) -> Path:
    d = tmp_path / "downloads"
    d.mkdir()
    return d


@pytest.fixture
def browser(downloads):
    """Headless Chromium like test_browser.py's, plus downloads allowed into `downloads`."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        pytest.skip(f"browser test needs Chromium and chromedriver; not installed: {', '.join(missing)} "
                    f"(apt-get install chromium chromium-driver)")
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
    opts.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(WAIT)
    # Headless Chromium ignores the download preference unless told over CDP.
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": False})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots_dir() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


class SearchFlow(Flow):
    """test_browser.Flow plus the workbench's readings; screenshots are named per test."""

    def __init__(self, driver, base: str, shots: Path, prefix: str):
        super().__init__(driver, base, shots)
        self.prefix = prefix

    def shot(self, name: str) -> None:
        """A full-page screenshot (results sit below the fold), capped at 3000 px high."""
        import base64
        self.n += 1
        target = self.shots / f"{self.prefix}-{self.n:02d}-{name}.png"
        try:
            size = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            shot = self.d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 3000), "scale": 1}})
            target.write_bytes(base64.b64decode(shot["data"]))
        except Exception:
            self.d.save_screenshot(str(target))

    def shot_element(self, css: str, name: str) -> None:
        self.n += 1
        self.el(css).screenshot(str(self.shots / f"{self.prefix}-{self.n:02d}-{name}.png"))

    def follow(self, element) -> None:
        """Clicks a link or submit button and waits until a new document has loaded.

        (Flow.click waits for staleness of the old <html>, which chromedriver now and then
        answers with "Node with given id does not belong to the document" mid-navigation;
        a marker on the old window object is robust to that.)
        """
        from selenium.common.exceptions import WebDriverException
        token = f"m{time.monotonic_ns()}"
        self.d.execute_script("window.__custosMark = arguments[0];", token)
        element.click()

        def loaded(d) -> bool:
            return d.execute_script("return window.__custosMark === undefined && document.readyState === 'complete';")
        try:
            self.Wait(self.d, WAIT, ignored_exceptions=(WebDriverException,)).until(loaded)
        except Exception:
            self.shot("no-navigation")
            raise AssertionError(f"clicking {element.tag_name} did not load a new page (at {self.d.current_url})")

    def click(self, css: str) -> None:
        self.follow(self.el(css))

    def sign_in(self, username: str, password: str) -> None:
        self.go("/login")
        self.wait_path("/login")
        self.fill("#username", username)
        self.fill("#password", password)
        self.click("#sign-in")

    def count(self) -> int:
        t = self.el("#result-count").text.strip()
        assert re.fullmatch(r"\d+", t), f"#result-count is not a number: {t!r}"
        return int(t)

    def texts(self, css: str) -> list[str]:
        """The visible text of every element matching css, in one round trip."""
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim());", css)

    def result_ids(self) -> list[int]:
        links = self.d.execute_script(
            "return Array.from(document.querySelectorAll('#results tbody tr td:first-child a'))"
            ".map(a => [a.getAttribute('href'), a.innerText.trim()]);")
        ids = []
        for href, text in links:
            m = re.fullmatch(r"/messages/(\d+)", href)
            assert m, f"result link does not go to /messages/{{id}}: {href}"
            assert text == m.group(1), (text, href)
            ids.append(int(m.group(1)))
        return ids

    def column(self, index: int) -> list[str]:
        return self.texts(f"#results tbody tr td:nth-child({index})")

    def month_facets(self) -> dict[str, int]:
        out = {}
        for li in self.texts("ul.facet-list.months li"):
            m = re.fullmatch(r"(\d{4}-\d{2})\s+(\d+)", li)
            assert m, f"month facet not 'YYYY-MM count': {li!r}"
            out[m.group(1)] = int(m.group(2))
        return out

    def platform_facets(self) -> dict[str, int]:
        out = {}
        for li in self.texts("ul.facet-list:not(.months) li"):
            m = re.fullmatch(r"(\S+)\s+(\d+)", li)
            assert m, f"platform facet not 'platform count': {li!r}"
            out[m.group(1)] = int(m.group(2))
        return out

    def no_alert(self) -> None:
        from selenium.common.exceptions import NoAlertPresentException
        try:
            alert = self.d.switch_to.alert
            text = alert.text
            alert.dismiss()
        except NoAlertPresentException:
            return
        pytest.fail(f"a script ran: alert({text!r}) on {self.d.current_url}")


def http_count(client: WebClient, path: str) -> int:
    r = client.get(path)
    assert r.status == 200, f"GET {path} → {r.status}\n{r.body[:1500]}"
    t = r.element_text("result-count")
    assert t is not None and t.isdigit(), f"GET {path}: no numeric #result-count ({t!r})"
    return int(t)


def http_all_ids(client: WebClient, path: str) -> list[int]:
    """Every result id of a search, following the Next page links (bounded)."""
    ids: list[int] = []
    for _ in range(250):
        r = client.get(path)
        assert r.status == 200, f"GET {path} → {r.status}"
        ids += [int(i) for i in re.findall(r'<td><a href="/messages/(\d+)">', r.body)]
        m = re.search(r'<a href="([^"]*)" id="next-page"', r.body)
        if not m:
            return ids
        path = urllib.parse.urljoin("/search", html.unescape(m.group(1)))
    pytest.fail("more than 250 pages following Next page")


def wait_download(folder: Path, timeout: float = WAIT) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if not p.name.endswith((".crdownload", ".tmp")) and p.stat().st_size > 0]
        partial = [p for p in folder.iterdir() if p.name.endswith(".crdownload")]
        if done and not partial:
            return done[0]
        time.sleep(0.1)
    pytest.fail(f"no finished download in {folder} within {timeout}s: {[p.name for p in folder.iterdir()]}")


# --------------------------------------------------------------------------------------------
# The auditor's day
# --------------------------------------------------------------------------------------------

def test_auditor_searches_narrows_opens_saves_and_exports(demo, browser, downloads, shots_dir):
    server, users = demo
    probe = enron_probe()
    f = SearchFlow(browser, server.base, shots_dir, "auditor")
    http = server.client()
    r = http.sign_in("auditor", users["auditor"]["password"])
    assert r.status == 303, (r.status, r.body[:500])

    # 1. Sign in; Search is in the navigation; the bare page has every filter (and, as built,
    #    lists the whole archive).
    f.sign_in("auditor", users["auditor"]["password"])
    f.wait_path("/")
    nav = [a.get_attribute("href") for a in browser.find_elements(f.By.CSS_SELECTOR, "nav a")]
    assert any(urllib.parse.urlsplit(h).path == "/search" for h in nav), f"no Search link in the navigation: {nav}"
    f.go("/search")
    f.wait_path("/search")
    assert f.h1() == "Search", f.h1()
    assert browser.find_elements(f.By.CSS_SELECTOR, "#result-count") == [] or f.count() == 398
    for css in ("#participant", "#part", "#domain", "#after", "#before", "#platform", "#conversation",
                "#attachments", "#run-search"):
        f.el(css)
    assert f.el("#after").get_attribute("type") == "date" and f.el("#before").get_attribute("type") == "date"

    # 2. The form: a participant typed in, Search clicked; then "from" chosen and Search again.
    from selenium.webdriver.support.ui import Select
    f.fill("#participant", PARTICIPANT)
    Select(f.el("#part")).select_by_value("any")
    f.click("#run-search")
    f.wait_path("/search")
    assert f.query().get("participant") == [PARTICIPANT], f.d.current_url
    n_participant = f.count()
    assert 0 < n_participant < DEMO_MESSAGES, n_participant
    assert n_participant == http_count(http, search_path({"participant": PARTICIPANT})), "browser and HTTP disagree"
    assert f.el("#participant").get_attribute("value") == PARTICIPANT, "the form forgot the participant"
    rows = [" ".join(pair) for pair in zip(f.column(5), f.column(6))]
    assert rows and all(PARTICIPANT in row for row in rows), f"a row without {PARTICIPANT} in From/To: {rows[:10]}"
    f.shot("search-participant")
    # The same form narrowed to "from" only can only shrink the set.
    Select(f.el("#part")).select_by_value("from")
    f.click("#run-search")
    f.wait_path("/search")
    assert f.query().get("part") == ["from"], f.d.current_url
    n_from = f.count()
    assert n_from <= n_participant, (n_from, n_participant)
    assert all(PARTICIPANT in s for s in f.column(5)), f"'from' search shows other senders: {f.column(5)[:10]}"

    # 3. A broad search with results (shareable URL), with facets that add up, and a second page.
    f.go(search_path(BROAD))
    f.wait_path("/search")
    n_broad = f.count()
    assert n_broad > 50, f"expected more than one page of enron.com mail, got {n_broad}"
    assert n_broad == http_count(http, search_path(BROAD))
    months_broad = f.month_facets()
    assert sum(months_broad.values()) == n_broad, f"month facets {months_broad} do not add up to {n_broad}"
    assert f.platform_facets() == {"email": n_broad}, f.platform_facets()
    page1 = f.result_ids()
    assert len(page1) == 50, f"first page has {len(page1)} rows, expected 50"
    sent1 = f.column(2)
    assert sent1 == sorted(sent1, reverse=True), f"first page not newest first: {sent1[:5]}…"
    assert set(f.column(3)) == {"email"}, set(f.column(3))
    no_content("the search page", browser.page_source, f.text(), probe)
    f.shot("search-results")
    f.click("#next-page")
    assert "cursor" in f.query(), f.d.current_url
    page2 = f.result_ids()
    assert page2 and not set(page1) & set(page2), "page 2 repeats rows of page 1"
    assert f.count() == n_broad, "the total changed on page 2"
    assert max(f.column(2)) <= min(sent1), "page 2 has messages newer than page 1"

    # 4. Narrow by date: fewer results, the same count as over HTTP, and as the broad search's
    #    month facets for June–December 2001; every row inside the range; the form shows the dates.
    f.go(search_path(NARROW))
    f.wait_path("/search")
    n_narrow = f.count()
    assert 0 < n_narrow < n_broad, (n_narrow, n_broad)
    assert n_narrow == http_count(http, search_path(NARROW)), "browser and HTTP disagree on the narrowed count"
    from_months = sum(c for m, c in months_broad.items() if "2001-06" <= m <= "2001-12")
    assert n_narrow == from_months, f"narrowed count {n_narrow} ≠ broad month facets for 2001-06..12 ({from_months})"
    assert sum(f.month_facets().values()) == n_narrow
    assert f.el("#after").get_attribute("value") == "2001-06-01"
    assert f.el("#before").get_attribute("value") == "2001-12-31"
    assert f.el("#domain").get_attribute("value") == "enron.com"
    for sent in f.column(2):
        assert "2001-06-01" <= sent[:10] <= "2001-12-31", f"row sent {sent} outside the range"
    no_content("the narrowed search", browser.page_source, f.text(), probe)
    f.shot("search-narrowed")
    narrow_url = f.d.current_url

    # 5. Bad dates are refused with a message (and a 400), not a crash.
    for bad, why in ((search_path({"after": "2001-02-30"}), "real date"),
                     (search_path({"after": "2001-12-31", "before": "2001-06-01"}), "after")):
        f.go(bad)
        assert why in f.el("#error").text, f"{bad}: {f.el('#error').text!r}"
        assert http.get(bad).status == 400, bad

    # 6. Open a message from the narrowed results: its metadata, participants, neighbours, the
    #    conversation link; no subject, no body (probed with one known mail below).
    browser.get(narrow_url)
    first = f.result_ids()[0]
    f.click("#results tbody tr td:first-child a")
    f.wait_path(f"/messages/{first}")
    assert f.h1() == f"Message {first}", f.h1()
    facts = f.el("dl.facts").text
    for label in ("Sent", "Platform", "Conversation", "Size", "Attachments"):
        assert label in facts, f"message page lacks {label}: {facts}"
    assert "email" in facts
    parts = [td.text for td in browser.find_elements(f.By.CSS_SELECTOR, "main table:first-of-type tbody tr td")]
    assert parts, "no participants on the message page"
    current = browser.find_elements(f.By.CSS_SELECTOR, "a[aria-current='page']")
    assert any(a.text.strip() == str(first) for a in current), "the message is not marked among its neighbours"
    conv_links = [a.get_attribute("href") for a in browser.find_elements(f.By.CSS_SELECTOR, "main a")
                  if re.fullmatch(r"/conversations/[0-9a-f]{64}", urllib.parse.urlsplit(a.get_attribute("href")).path)]
    assert conv_links, "no link to the conversation on the message page"
    no_content("the message page", browser.page_source, f.text(), probe)
    f.shot("message")
    f.go(urllib.parse.urlsplit(conv_links[0]).path)
    assert f.h1() == "Conversation", f.h1()
    assert str(first) in f.texts("main table a"), \
        "the conversation page does not list the message it was reached from"
    no_content("the conversation page", browser.page_source, f.text(), probe)
    f.shot("conversation")
    # The very message whose subject we probe for: found by sender and time, opened, no subject.
    f.go(search_path({"participant": probe.sender, "part": "from", "after": probe.day, "before": probe.day}))
    rows = [i for i, sent in enumerate(f.column(2)) if sent == probe.sent]
    assert len(rows) == 1, f"expected one mail from {probe.sender} at {probe.sent}: {list(zip(f.result_ids(), f.column(2)))}"
    probe_id = f.result_ids()[rows[0]]
    no_content("the search for the probe mail", browser.page_source, f.text(), probe)
    f.go(f"/messages/{probe_id}")
    assert f.h1() == f"Message {probe_id}"
    assert probe.sender in f.text(), "the probe mail's sender is not shown on its page"
    no_content(f"the page of message {probe_id}", browser.page_source, f.text(), probe)

    # 6b. A chat: a Slack message's conversation lists its messages oldest first, as many as the
    #     search for that conversation finds.
    f.go(search_path({"platform": "slack"}))
    assert f.count() == http_count(http, search_path({"platform": "slack"})) == 158, f.count()
    assert f.platform_facets() == {"slack": 158}, f.platform_facets()
    slack_first = f.result_ids()[0]
    f.go(f"/messages/{slack_first}")
    assert f.h1() == f"Message {slack_first}"
    assert "slack" in f.el("dl.facts").text
    key = next(m.group(1) for a in browser.find_elements(f.By.CSS_SELECTOR, "main a")
               if (m := re.fullmatch(r"/conversations/([0-9a-f]{64})", urllib.parse.urlsplit(a.get_attribute("href")).path)))
    f.go(f"/conversations/{key}")
    assert f.h1() == "Conversation", f.h1()
    m = re.search(r"(\d+) messages", f.el("main p").text)
    assert m, f"conversation page states no total: {f.el('main p').text!r}"
    n_conv = int(m.group(1))
    assert n_conv > 1 and n_conv == http_count(http, search_path({"conversation": key})), n_conv
    times = f.texts("main table tbody tr td:nth-child(2)")
    assert times and times == sorted(times), f"conversation not oldest first: {times[:5]}…"
    assert str(slack_first) in f.texts("main table a")
    f.shot("slack-conversation")

    # 7. Save the narrowed search; it is listed and leads back to the same results.
    browser.get(narrow_url)
    f.fill("#save-name", "Enron H2 2001")
    f.click("#save-search")
    f.wait_path("/search")
    saved = browser.find_elements(f.By.CSS_SELECTOR, "ul#saved-searches li a")
    match = [a for a in saved if a.text.strip() == "Enron H2 2001"]
    assert match, f"saved search not listed: {[a.text for a in saved]}"
    href = urllib.parse.urlsplit(match[0].get_attribute("href"))
    assert href.path == "/search" and urllib.parse.parse_qs(href.query) == {k: [v] for k, v in NARROW.items()}, \
        f"saved search link {match[0].get_attribute('href')} does not carry the filters {NARROW}"
    f.go("/search")
    f.wait_path("/search")
    f.shot_element("#saved-searches", "saved-searches")
    saved = [a for a in browser.find_elements(f.By.CSS_SELECTOR, "ul#saved-searches li a")
             if a.text.strip() == "Enron H2 2001"]
    assert saved, "saved search gone from a fresh search page"
    f.follow(saved[0])
    assert f.count() == n_narrow, "the saved search does not give the same results"

    # 8. Export CSV through a real browser download: one row per result plus a header, the same
    #    ids as the result pages, metadata only.
    assert list(downloads.iterdir()) == []
    f.el("#export-csv").click()
    path = wait_download(downloads)
    assert path.suffix == ".csv", f"downloaded file {path.name} is not a .csv"
    raw = path.read_bytes().decode("utf-8")  # bytes as served: CSV lines end in CRLF
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(rows) == n_narrow + 1, f"CSV has {len(rows)} rows, expected {n_narrow} + header"
    header = [h.strip().lower() for h in rows[0]]
    assert not any("subject" in h or "body" in h for h in header), f"CSV header mentions content: {rows[0]}"
    id_col = next((i for i, h in enumerate(header) if h in ("id", "message", "message_id", "#")), None)
    assert id_col is not None, f"no id column in CSV header {rows[0]}"
    csv_ids = sorted(int(r[id_col]) for r in rows[1:])
    assert csv_ids == sorted(http_all_ids(http, search_path(NARROW))), "CSV ids differ from the result pages"
    assert probe.subject not in " ".join(raw.split()) and probe.body_line not in " ".join(raw.split()), \
        "subject or body text in the CSV export"
    assert "subject" not in raw.splitlines()[0].lower()
    (SHOTS / "auditor-export.csv").write_bytes(path.read_bytes())
    # The response itself, as the browser got it: the same form posted with the browser's session.
    jar = WebClient(server.port)
    jar.cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    fields = [(e.get_attribute("name"), e.get_attribute("value")) for e in
              browser.find_elements(f.By.CSS_SELECTOR, "form[action='/search/export'] input[type=hidden]")]
    r = jar.post_form("/search/export", fields)
    assert r.status == 200, (r.status, r.body[:500])
    assert (r.header("Content-Type") or "").startswith("text/csv"), r.header("Content-Type")
    assert (r.header("Content-Disposition") or "").startswith("attachment"), r.header("Content-Disposition")
    assert r.body == raw, "the browser's download differs from the export response"
    assert server.alive()


# --------------------------------------------------------------------------------------------
# What a user types comes back escaped
# --------------------------------------------------------------------------------------------

def test_typed_markup_is_escaped(demo, browser, shots_dir):
    server, users = demo
    f = SearchFlow(browser, server.base, shots_dir, "escape")
    f.sign_in("legal", users["legal"]["password"])  # the other role allowed on the workbench
    f.wait_path("/")
    f.go("/search")
    f.wait_path("/search")
    f.fill("#participant", XSS)
    f.click("#run-search")
    f.wait_path("/search")
    f.no_alert()
    assert f.el("#participant").get_attribute("value") == XSS, "the typed participant was not kept verbatim"
    assert browser.find_elements(f.By.XPATH, "//script[contains(., 'alert')]") == [], "typed <script> became an element"
    # The raw HTML of the same URL has it escaped.
    http = server.client()
    assert http.sign_in("legal", users["legal"]["password"]).status == 303
    r = http.get(search_path({"participant": XSS}))
    assert r.status in (200, 400), (r.status, r.body[:500])
    assert XSS not in r.body and "&lt;script&gt;" in r.body, "typed markup not escaped in the page"
    if r.status == 200:
        assert f.count() == 0
    f.shot("typed-script")

    # A saved search's name is shown as text too.
    f.go(search_path({"domain": "enron.com", "platform": "email"}))
    f.fill("#save-name", XSS_NAME)
    f.click("#save-search")
    f.wait_path("/search")
    f.no_alert()
    names = [a.text for a in browser.find_elements(f.By.CSS_SELECTOR, "ul#saved-searches li a")]
    assert XSS_NAME in names, f"saved name not shown literally: {names}"
    assert browser.find_elements(f.By.CSS_SELECTOR, "ul#saved-searches img") == [], "saved name became an <img>"
    f.go("/search")
    f.no_alert()
    assert XSS_NAME in f.texts("ul#saved-searches li a")
    f.shot_element("#saved-searches", "typed-saved-name")
    f.no_alert()


# --------------------------------------------------------------------------------------------
# Refused roles
# --------------------------------------------------------------------------------------------

def test_security_and_admin_are_refused_the_search_page(demo, browser, shots_dir):
    server, users = demo
    f = SearchFlow(browser, server.base, shots_dir, "refused")

    def refused(who: str) -> None:
        nav = [urllib.parse.urlsplit(a.get_attribute("href")).path
               for a in browser.find_elements(f.By.CSS_SELECTOR, "nav a")]
        assert "/search" not in nav, f"{who} is offered Search in the navigation: {nav}"
        for path in ("/search", search_path(NARROW), "/messages/1"):
            f.go(path)
            assert "Status 403" in f.text(), f"{who} GET {path}: not a 403 page:\n{f.text()[:800]}"
            assert browser.find_elements(f.By.CSS_SELECTOR, "#result-count, #results, #participant") == [], \
                f"{who} sees search results or the form at {path}"
        f.go("/search")
        f.shot(f"{who}-403")
        # Refused is not signed out: the overview still opens.
        f.go("/")
        f.wait_path("/")
        assert f.h1() == "Overview", f"{who} lost the session after a 403: {f.h1()}"

    # Security: password only.
    f.sign_in("security", users["security"]["password"])
    f.wait_path("/")
    refused("security")
    f.click("#sign-out")
    f.wait_path("/login")

    # Admin: password, then a TOTP code.
    admin = users["admin"]
    f.sign_in("admin", admin["password"])
    f.wait_path("/login/totp")
    f.fill("#code", totp(admin["totp_secret"], counter=current_counter()))
    f.click("#verify-code")
    f.wait_path("/")
    refused("admin")

    # And over HTTP the status is 403 for both, for the page, the export and saving.
    for who in ("security", "admin"):
        c = server.client()
        r = c.sign_in(who, users[who]["password"])
        assert r.status == 303, (who, r.status)
        if r.location_path == "/login/totp":
            r = c.submit("/login/totp", "/login/totp",
                         {"code": totp(admin["totp_secret"], counter=current_counter() + 1)})
            assert r.status == 303 and r.location_path == "/", (r.status, r.header("Location"), r.body[:500])
        assert c.get("/search").status == 403, f"{who} GET /search"
        csrf = c.get("/").csrf()
        for action in ("/search/export", "/search/saved"):
            r = c.post_form(action, {"csrf": csrf, "domain": "enron.com", "name": "x"})
            assert r.status == 403, f"{who} POST {action} → {r.status}"


# --------------------------------------------------------------------------------------------
# Validation the issue names: an unknown platform
# --------------------------------------------------------------------------------------------

def test_unknown_platform_is_refused_with_a_message(demo, browser, shots_dir):
    """Issue 4, item 5: "Input is validated with clear messages (bad dates, reversed ranges,
    unknown platform)". A shared URL naming a platform the archive does not have must say so,
    not answer "0 matching messages" as if the search were meaningful."""
    server, users = demo
    f = SearchFlow(browser, server.base, shots_dir, "platform")
    f.sign_in("auditor", users["auditor"]["password"])
    f.wait_path("/")
    path = search_path({"platform": "fax"})
    f.go(path)
    f.shot("unknown-platform")
    http = server.client()
    assert http.sign_in("auditor", users["auditor"]["password"]).status == 303
    r = http.get(path)
    errors = browser.find_elements(f.By.CSS_SELECTOR, "#error")
    assert r.status == 400 and errors and "platform" in errors[0].text.lower(), (
        f"GET {path} → {r.status}, #result-count={r.element_text('result-count')!r}, "
        f"#error={r.element_text('error')!r}; expected 400 with a message about the platform")
