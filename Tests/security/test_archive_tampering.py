"""The insider with the database file (issue 18, point 11).

The adversary holds the SQLite file of a stopped server, drops the write-once triggers with Python's own
sqlite3 and edits one message: its sent time, platform, conversation, class, participants or envelope parts.
What must hold:

- `custos verify` fails and names the message and what changed, for each of those edits;
- a legal hold cannot be escaped that way: a held message moved out of the hold's scope is kept by
  `custos retention run` decades later (exit 1, the message named), and the refusal is audited.
(A seal rewritten to fit the edit breaks the audited ingest digest instead: MessageSealTests.)

The archive is `custos demo`'s (398 messages captured through the real client); the hold is placed over HTTP by
the demo's legal user. Everything stays on loopback.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import (REPO, WebClient, copy_data, custos_env, open_db, run_custos, start_demo, totp)

FORTY_YEARS = 40 * 366 * 86_400
CUSTODIAN = "sally.beck@enron.com"

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS messages_write_once; DROP TRIGGER IF EXISTS message_participants_write_once;
DROP TRIGGER IF EXISTS message_participants_no_delete; DROP TRIGGER IF EXISTS envelopes_write_once;
"""

# (name, statements on message {m} borrowing from message {o}, what verify must name)
EDITS = [
    ("sent-time", ["UPDATE messages SET sent_at = sent_at - 3650 * 86400 WHERE id = {m}",
                   "UPDATE message_participants SET sent_at = sent_at - 3650 * 86400 WHERE message_id = {m}"], "sent time"),
    ("platform", ["UPDATE messages SET platform = 'sms' WHERE id = {m}"], "platform"),
    ("conversation", ["UPDATE messages SET conversation = (SELECT conversation FROM messages WHERE id = {o}) WHERE id = {m}"],
     "conversation"),
    ("retention-class", ["UPDATE messages SET retention_class = 'short' WHERE id = {m}"], "retention class"),
    ("sender", ["UPDATE message_participants SET token = randomblob(32) WHERE message_id = {m} AND part = 'from'"],
     "participants"),
    ("domain", ["UPDATE message_participants SET domain_token = NULL WHERE message_id = {m}"], "participants"),
    ("recipient-removed", ["DELETE FROM message_participants WHERE message_id = {m} AND part <> 'from'"], "participants"),
    ("ephemeral-key", ["UPDATE envelopes SET ephemeral = (SELECT ephemeral FROM envelopes WHERE message_id = {o}) "
                       "WHERE message_id = {m}"], "envelope"),
    ("nonce", ["UPDATE envelopes SET nonce = (SELECT nonce FROM envelopes WHERE message_id = {o}) WHERE message_id = {m}"],
     "envelope"),
    ("header", ["UPDATE envelopes SET header = (SELECT header FROM envelopes WHERE message_id = {o}) WHERE message_id = {m}"],
     "envelope"),
]


def sign_in(port: int, user: dict) -> WebClient:
    c = WebClient(port)
    r = c.sign_in(user["username"], user["password"])
    assert r.status == 303, f"sign-in {user['username']}: {r.status} {r.body[:300]}"
    if r.location_path == "/login/totp":
        page = c.get("/login/totp")
        r = c.post_form("/login/totp", {"csrf": page.csrf(), "code": totp(user["totp_secret"])})
        assert r.status == 303 and r.location_path == "/", f"TOTP: {r.status} {r.body[:300]}"
    return c


@pytest.fixture(scope="module")
def held_archive(custos_bin, tmp_path_factory) -> tuple[Path, list[int]]:
    """A stopped demo archive with a hold on one Enron custodian: (data directory, held message ids)."""
    server, data, creds = start_demo(custos_bin, tmp_path_factory.mktemp("tampering"))
    try:
        users = {u["username"]: u for u in creds["users"]}
        legal = sign_in(server.port, users["legal"])
        csrf = legal.get("/matters").csrf()
        r = legal.post_form("/matters", {"csrf": csrf, "name": "Tampering drill", "description": "Point 11 adversary"})
        assert r.status == 303, r.body[:500]
        r = legal.post_form(r.location_path + "/holds", {"csrf": csrf, "participant": CUSTODIAN})
        assert r.status == 303, r.body[:500]
    finally:
        server.stop()
    conn = open_db(data)
    try:
        held = [row[0] for row in conn.execute("SELECT message_id FROM hold_coverage WHERE active ORDER BY message_id")]
    finally:
        conn.close()
    assert len(held) >= 3, held
    return data, held


def tamper(data: Path, statements: list[str], m: int, o: int) -> None:
    conn = open_db(data)
    try:
        conn.executescript(DROP_TRIGGERS)
        conn.execute("BEGIN")
        for s in statements:
            assert conn.execute(s.format(m=m, o=o)).rowcount >= 1, s
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def verify(custos_bin: Path, data: Path) -> tuple[subprocess.CompletedProcess, dict]:
    r = run_custos(custos_bin, "verify", "--data", str(data), "--json")
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    return r, (json.loads(lines[-1]) if lines else {})


@pytest.mark.parametrize("name,statements,named", EDITS, ids=[e[0] for e in EDITS])
def test_verify_names_each_edit_of_a_held_message(custos_bin, held_archive, tmp_path, name, statements, named):
    source, held = held_archive
    data = copy_data(source, tmp_path / "data")
    r, report = verify(custos_bin, data)
    assert r.returncode == 0 and report["ok"] is True and report.get("unsealed", 0) == 0, r.stdout + r.stderr
    tamper(data, statements, held[1], held[0] - 1 if held[0] > 1 else held[-1] + 1)
    r, report = verify(custos_bin, data)
    assert r.returncode == 1 and report["ok"] is False, f"{name}: verify passed a tampered archive: {r.stdout}"
    assert f"message {held[1]}" in report["failure"] and named in report["failure"], f"{name}: {report}"


def test_a_held_message_moved_out_of_its_hold_is_kept_by_disposition(custos_bin, held_archive, tmp_path):
    source, held = held_archive
    data = copy_data(source, tmp_path / "data")
    victim = held[0]
    # The insider makes the message look sent by someone else and ten years earlier: the hold no longer covers it.
    tamper(data, [s for _, stmts, _ in EDITS[:1] for s in stmts]
           + ["UPDATE message_participants SET token = randomblob(32) WHERE message_id = {m}"], victim, victim)
    conn = open_db(data)
    try:
        assert conn.execute("SELECT count(*) FROM hold_coverage WHERE message_id = ? AND active", (victim,)).fetchone()[0] == 0
    finally:
        conn.close()
    offset = tmp_path / "clock-offset"
    offset.write_text(str(FORTY_YEARS))
    r = subprocess.run([str(custos_bin), "retention", "run", "--data", str(data)], cwd=REPO,
                       env={**custos_env(), "CUSTOS_TEST_CLOCK_OFFSET_FILE": str(offset)},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, f"retention run should report the refusal:\n{r.stdout}\n{r.stderr}"
    refused = [ln for ln in r.stdout.splitlines() if ln.startswith("refused\t")]
    assert len(refused) == 1 and f"message {victim} no longer matches" in refused[0] and "sent time" in refused[0] and "participants" in refused[0], \
        r.stdout[-800:]
    assert r.stdout.strip().splitlines()[-1].endswith(", refused 1"), r.stdout[-300:]
    conn = open_db(data)
    try:
        assert conn.execute("SELECT count(*) FROM envelopes WHERE message_id = ?", (victim,)).fetchone()[0] == 1, \
            "the held message's envelope was destroyed"
        assert conn.execute("SELECT count(*) FROM disposals WHERE message_id = ?", (victim,)).fetchone()[0] == 0
        # The other held messages stay held; what no hold covers went.
        assert conn.execute("SELECT count(*) FROM disposals d JOIN hold_coverage c ON c.message_id = d.message_id "
                            "WHERE c.active").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM disposals").fetchone()[0] > 0
        audited = conn.execute("SELECT target, details FROM audit_events WHERE action = 'message.integrity_failed'").fetchall()
    finally:
        conn.close()
    assert [t for t, _ in audited] == [f"message:{victim}"] and "disposition" in audited[0][1], audited

