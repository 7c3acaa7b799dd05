"""A real browser (headless Chromium) on matters and legal holds (issue 6), against `custos demo`.

- legal signs in, opens a matter, previews a hold on an Enron custodian (the count matches what an
  auditor's search for that person answers), places it, and the hold page shows it covering them;
- an auditor can search by the hold but cannot open matters or place holds (403, also by a forged POST);
- `custos retention run --dry-run`, run decades later (debug builds read CUSTOS_TEST_CLOCK_OFFSET_FILE),
  keeps every held message and would dispose of the rest;
- legal releases the hold with a reason; the next run disposes of everything past retention, the
  search still lists the tombstones, and `custos verify` passes.

Screenshots go to test-output/holds-browser/ (gitignored). Skips only without Chromium,
chromedriver or selenium; everything stays on loopback.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import DEMO_MESSAGES, OUTPUT, REPO, WebClient, custos_env, open_db, run_custos, start_demo
from test_search_browser import SearchFlow, browser, downloads  # noqa: F401 (fixtures)

SHOTS = OUTPUT / "holds-browser"
CUSTODIAN = "sally.beck@enron.com"
FORTY_YEARS = 40 * 366 * 86_400


@pytest.fixture(scope="module")
def demo(custos_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("holds-demo")
    server, data, creds = start_demo(custos_bin, base)
    try:
        yield server, data, {u["username"]: u for u in creds["users"]}, base
    finally:
        server.stop()


def retention_run(custos_bin, data: Path, offset_file: Path, *extra: str) -> tuple[str, dict]:
    """`custos retention run` with the clock moved by the offset file; returns stdout and the summary's numbers."""
    r = subprocess.run([str(custos_bin), "retention", "run", "--data", str(data), *extra], cwd=REPO,
                       env={**custos_env(), "CUSTOS_TEST_CLOCK_OFFSET_FILE": str(offset_file)},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"retention run failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    last = r.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"(would dispose|disposed) (\d+), held (\d+), due (\d+)", last)
    assert m, f"summary line not as documented: {last!r}"
    return r.stdout, {"dispose": int(m.group(2)), "held": int(m.group(3)), "due": int(m.group(4))}


def auditor_client(server, users) -> WebClient:
    c = WebClient(server.port)
    r = c.sign_in("auditor", users["auditor"]["password"])
    assert r.status == 303 and r.location_path == "/", (r.status, r.body[:500])
    return c


def test_legal_places_and_releases_a_hold(demo, browser, custos_bin):  # noqa: F811 (pytest fixture)
    server, data, users, base = demo
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    auditor = auditor_client(server, users)
    searched = auditor.get("/search?" + urllib.parse.urlencode({"participant": CUSTODIAN}))
    expected = int(searched.element_text("result-count") or "-1")
    assert expected > 0, f"the sample has no mail of {CUSTODIAN}"

    f = SearchFlow(browser, server.base, SHOTS, "legal")
    f.sign_in("legal", users["legal"]["password"])
    f.wait_path("/")
    f.click("nav a[href='/matters']")
    f.wait_path("/matters")
    f.fill("#name", "FERC inquiry <Broadband>")
    f.fill("#description", "Preserve the mail of the Enron custodians the FERC data request names.")
    f.click("#open-matter")
    assert re.fullmatch(r"/matters/\d+", f.path()), f.path()
    matter_path = f.path()
    assert "FERC inquiry <Broadband>" in f.h1(), f.h1()
    f.shot("matter-opened")

    f.click("#new-hold")
    f.fill("#participant", CUSTODIAN)
    f.click("#preview-hold")
    covered = int(f.el("#preview-count").text)
    assert covered == expected, f"preview counts {covered}, search for {CUSTODIAN} counts {expected}"
    f.shot("preview")
    f.click("#place-hold")
    assert re.fullmatch(r"/holds/\d+", f.path()), f.path()
    hold_path, hold_id = f.path(), f.path().rsplit("/", 1)[1]
    assert f.el("#hold-status").text == "active"
    assert int(f.el("#covered").text) == expected
    assert CUSTODIAN in f.text()
    f.shot("hold-placed")

    # An auditor searches by the hold, but cannot open the matter or place a hold, even by a forged POST.
    by_hold = auditor.get(f"/search?hold={hold_id}")
    assert int(by_hold.element_text("result-count") or "-1") == expected
    assert auditor.get(matter_path).status == 403
    forged = auditor.post_form(matter_path + "/holds", {"csrf": by_hold.csrf(), "participant": "kenneth.lay@enron.com"})
    assert forged.status == 403, forged.status
    assert "/matters" not in auditor.get("/").body

    # Raw SQL on the database file (Python's own sqlite3, not Custos) cannot dispose of a held message either.
    held_id = int(re.search(r'href="/messages/(\d+)"', by_hold.body).group(1))
    db = open_db(data)
    try:
        for statement, params in (
                ("INSERT INTO disposition_runs (started_at, dry_run, actor) VALUES (0, 0, 'mallory')", ()),
                ("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (?, last_insert_rowid(), ?)",
                 (held_id, int(time.time()) + FORTY_YEARS)),
                ("DELETE FROM envelopes WHERE message_id = ?", (held_id,)),
                ("UPDATE legal_holds SET sent_after = 1 WHERE id = ?", (int(hold_id),)),
                ("INSERT INTO hold_terms (hold_id, kind, value) VALUES (?, 'platform', 'nowhere')", (int(hold_id),))):
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute(statement, params)
                if statement.startswith("INSERT INTO disposition_runs"):
                    db.execute("ROLLBACK")
                    continue
                pytest.fail(f"raw SQL was allowed: {statement}")
            except Exception as e:  # sqlite3.IntegrityError from the schema's triggers
                assert "legal hold" in str(e) or "scope is fixed" in str(e), (statement, e)
                db.execute("ROLLBACK")
    finally:
        db.close()

    # Forty years on, a dry run keeps every held message and would dispose of the rest.
    offset = base / "clock-offset"
    offset.write_text(str(FORTY_YEARS))
    out, dry = retention_run(custos_bin, data, offset, "--dry-run")
    assert dry == {"dispose": DEMO_MESSAGES - expected, "held": expected, "due": DEMO_MESSAGES}, (dry, out[-500:])
    assert out.count("would dispose\t") == DEMO_MESSAGES - expected

    # Release with a reason.
    f.go(hold_path)
    f.fill("#reason", "FERC closed its data request; counsel confirmed in writing.")
    f.click("#release-hold")
    assert f.el("#hold-status").text == "released"
    assert "FERC closed its data request" in f.el("#release-reason").text
    f.shot("released")

    _, real = retention_run(custos_bin, data, offset)
    assert real == {"dispose": DEMO_MESSAGES, "held": 0, "due": DEMO_MESSAGES}, real
    # Tombstones stay searchable; verify still accounts for every message.
    again = auditor.get("/search?" + urllib.parse.urlencode({"participant": CUSTODIAN}))
    assert int(again.element_text("result-count") or "-1") == expected
    assert again.body.count(">disposed</span>") == min(expected, 50)
    v = run_custos(custos_bin, "verify", "--data", str(data), "--json")
    report = json.loads(v.stdout.strip().splitlines()[-1])
    assert v.returncode == 0 and report["ok"] is True and report["messages"] == DEMO_MESSAGES, v.stdout + v.stderr
