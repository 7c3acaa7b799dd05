"""A real browser (headless Chromium) on security's side (issue 7), against `custos demo`.

The demo is created with the server's clock at the real time; then its clock is moved 100 days on
(debug builds read CUSTOS_TEST_CLOCK_OFFSET_FILE), so the demo's privileged accounts, unused since,
are flagged as dormant. Security signs in, opens the quarterly access report, sees the flags and
the server-drawn charts, downloads the CSV through the browser (its flags match the page), opens
the audit log, finds the report's own `report.generated` entry and runs "Verify now".

Screenshots go to test-output/report-browser/ (gitignored). Skips only without Chromium,
chromedriver or selenium; everything stays on loopback.
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from conftest import OUTPUT, start_demo
from test_search_browser import SearchFlow, browser, downloads, wait_download  # noqa: F401

SHOTS = OUTPUT / "report-browser"
HUNDRED_DAYS = 100 * 86_400


@pytest.fixture(scope="module")
def demo(custos_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("report-demo")
    offset = base / "clock-offset"
    offset.write_text("0")
    server, _, creds = start_demo(custos_bin, base, clock_offset=offset)
    try:
        offset.write_text(str(HUNDRED_DAYS))
        yield server, {u["username"]: u for u in creds["users"]}
    finally:
        server.stop()


def test_security_reads_the_report_exports_and_verifies(demo, browser, downloads):  # noqa: F811 (pytest fixtures)
    server, users = demo
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    f = SearchFlow(browser, server.base, SHOTS, "security")
    f.sign_in("security", users["security"]["password"])
    f.wait_path("/")
    f.click("nav a[href='/reports/access']")
    f.wait_path("/reports/access")
    count = int(f.el("#flag-count").text)
    subjects = f.texts("#flags .flag-subject")
    dormant = {"admin", "custodian", "custodian2", "custodian3"}
    assert dormant <= set(subjects), f"dormant privileged accounts not flagged: {subjects}"
    assert "security" not in subjects, "security signed in just now and is not dormant"
    assert count == len(subjects) >= 4
    assert f.el("#chart-weekly").tag_name == "svg" and f.el("#chart-outcomes").tag_name == "svg"
    assert not f.d.find_elements(f.By.TAG_NAME, "script"), "the report page runs no script"
    f.shot("report")

    f.el("#export-csv").click()  # a download: the page stays
    path = wait_download(downloads)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "subject", "metric", "value"], rows[:2]
    flagged = sorted(r[1] for r in rows if r[0] == "flag")
    assert flagged == sorted(subjects), (flagged, subjects)

    f.go("/audit?action=report.generated")
    assert "report.generated" in f.text() and "report:access:" in f.text()
    f.click("#verify-now")
    assert f.el("#verification-result").text == "ok", f.text()[:1500]
    f.shot("verified")
