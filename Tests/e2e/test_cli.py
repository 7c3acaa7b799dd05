"""The command line from the outside: `custos init` and `custos verify`, and an attacker with raw
write access to the SQLite file who tries to edit, delete, reorder or truncate the audit log.

Each tampering is done on a copy of a populated data directory (see `populated_data` in
conftest.py), with the server stopped, using Python's sqlite3 after dropping the append-only
triggers, exactly as someone holding the file would.
"""

from __future__ import annotations

import hashlib
import json
import time
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from conftest import copy_data, custodian_cli, db_path, init_data_dir, open_db, run_custos, totp


# --------------------------------------------------------------------------------------------
# init
# --------------------------------------------------------------------------------------------

def test_init_prints_one_time_credentials_as_json(custos_bin, tmp_path):
    data = tmp_path / "data"
    r = run_custos(custos_bin, "init", "--data", str(data), "--json")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got {r.stdout!r}"
    creds = json.loads(lines[0])
    assert set(creds) == {"username", "password"}
    assert creds["username"] == "admin"
    assert isinstance(creds["password"], str) and len(creds["password"]) >= 12, creds
    assert db_path(data).is_file()
    # P1: the one-time password is not stored in the clear anywhere in the data directory.
    secret = creds["password"].encode()
    for f in data.rglob("*"):
        if f.is_file():
            assert secret not in f.read_bytes(), f"one-time password found in clear in {f}"
    # Server keys live under DIR/keys with mode 0600.
    keys = [f for f in (data / "keys").rglob("*") if f.is_file()]
    assert keys, "no key files under DATA/keys"
    for k in keys:
        mode = stat.S_IMODE(k.stat().st_mode)
        if k.suffix == ".pub":  # a public key need not be secret, but nobody else may replace it
            assert mode & 0o022 == 0, f"{k} has mode {oct(mode)}: writable by group or others"
        else:
            assert mode == 0o600, f"{k} has mode {oct(mode)}, expected 0o600"
    assert stat.S_IMODE((data / "keys").stat().st_mode) & 0o077 == 0, "DATA/keys is open to group or others"


def test_init_passwords_are_random(custos_bin, tmp_path):
    a = init_data_dir(custos_bin, tmp_path / "a")
    b = init_data_dir(custos_bin, tmp_path / "b")
    assert a["password"] != b["password"], "two inits produced the same one-time password (P6)"


def _snapshot(data: Path) -> dict:
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file()}


def test_second_init_refuses_and_changes_nothing(custos_bin, tmp_path):
    data = tmp_path / "data"
    init_data_dir(custos_bin, data)
    before = _snapshot(data)
    r = run_custos(custos_bin, "init", "--data", str(data), "--json")
    assert r.returncode != 0, f"second init on the same directory succeeded:\n{r.stdout}"
    assert "password" not in r.stdout, f"second init printed credentials:\n{r.stdout}"
    assert _snapshot(data) == before, "second init modified the existing data directory"


def test_init_refuses_a_non_empty_directory(custos_bin, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "precious.txt").write_text("not Custos's")
    r = run_custos(custos_bin, "init", "--data", str(data), "--json")
    assert r.returncode != 0, f"init into a non-empty directory succeeded:\n{r.stdout}"
    assert sorted(p.name for p in data.iterdir()) == ["precious.txt"]


# --------------------------------------------------------------------------------------------
# verify on intact data
# --------------------------------------------------------------------------------------------

def verify(custos_bin, data: Path) -> tuple:
    """Runs `verify` and `verify --json`; returns (text result, json result, parsed json)."""
    text = run_custos(custos_bin, "verify", "--data", str(data))
    js = run_custos(custos_bin, "verify", "--data", str(data), "--json")
    lines = [line for line in js.stdout.splitlines() if line.strip()]
    assert lines, f"verify --json printed nothing (exit {js.returncode}):\n{js.stderr}"
    return text, js, json.loads(lines[-1])


def test_verify_fresh_data_dir(custos_bin, fresh):
    data, _ = fresh
    text, js, report = verify(custos_bin, data)
    assert text.returncode == 0, f"{text.stdout}\n{text.stderr}"
    assert text.stdout.startswith("OK:"), text.stdout
    assert js.returncode == 0
    assert report["ok"] is True and "failed_seq" not in report, report


def test_verify_without_the_public_key_says_what_is_missing(custos_bin, tmp_path):
    """Offline verify needs only keys/audit-signing.pub; without it the operator reads which file, in words."""
    data = tmp_path / "data"
    init_data_dir(custos_bin, data)
    (data / "keys" / "audit-signing.pub").unlink()
    r = run_custos(custos_bin, "verify", "--data", str(data))
    assert r.returncode != 0, f"verify ran without the audit public key:\n{r.stdout}"
    out = r.stdout + r.stderr
    assert "audit-signing.pub is missing" in out, out
    assert "invalidInput(" not in out, f"the CLI printed an error's case name instead of its message:\n{out}"


def test_verify_populated_data_dir(custos_bin, populated_data, tmp_path):
    """The baseline every tampering test depends on: the untouched populated copy verifies."""
    data = copy_data(populated_data, tmp_path / "data")
    text, js, report = verify(custos_bin, data)
    assert text.returncode == 0, f"{text.stdout}\n{text.stderr}"
    assert text.stdout.startswith("OK:"), text.stdout
    conn = open_db(data)
    n = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    cps = conn.execute("SELECT count(*) FROM audit_checkpoints").fetchone()[0]
    conn.close()
    assert {k: report.get(k) for k in ("ok", "entries", "checkpoints", "messages")} == {"ok": True, "entries": n, "checkpoints": cps, "messages": 0}, report
    assert cps >= 1


def test_a_stopped_server_leaves_its_newest_head(custos_bin, populated_data, tmp_path):
    """`custos serve` writes the signed head at most every 50 ms while it runs, so after a burst of
    audited requests the file trails the log; stopping must write the newest head, or a truncation of
    that tail would go unseen (P4)."""
    data = copy_data(populated_data, tmp_path / "data")
    head = json.loads((data / "audit-head.json").read_text())
    conn = open_db(data)
    try:
        newest = last_seq(conn)
    finally:
        conn.close()
    assert head["seq"] == newest, f"head file says {head['seq']}, the log ends at {newest}"


# --------------------------------------------------------------------------------------------
# tampering
# --------------------------------------------------------------------------------------------

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS audit_events_no_update;
DROP TRIGGER IF EXISTS audit_events_no_delete;
DROP TRIGGER IF EXISTS audit_checkpoints_no_update;
DROP TRIGGER IF EXISTS audit_checkpoints_no_delete;
"""


def last_seq(conn) -> int:
    return conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]


def t_edit_target(conn) -> int:
    assert conn.execute("UPDATE audit_events SET target = 'someone-else' WHERE seq = 10").rowcount == 1
    return 10


def t_edit_details(conn) -> int:
    assert conn.execute("UPDATE audit_events SET details = '{}', actor = 'mallory' WHERE seq = 40").rowcount == 1
    return 40


def t_delete_middle(conn) -> int:
    assert conn.execute("DELETE FROM audit_events WHERE seq = 30").rowcount == 1
    return 30


def t_swap_seq(conn) -> int:
    # Reorder: entries 20 and 21 change places.
    conn.execute("UPDATE audit_events SET seq = -1 WHERE seq = 20")
    conn.execute("UPDATE audit_events SET seq = 20 WHERE seq = 21")
    conn.execute("UPDATE audit_events SET seq = 21 WHERE seq = -1")
    return 20


def t_truncate_last_3(conn) -> int:
    n = last_seq(conn)
    assert conn.execute("DELETE FROM audit_events WHERE seq > ?", (n - 3,)).rowcount == 3
    return n - 2


def t_forge_checkpoint_time(conn) -> int:
    assert conn.execute("UPDATE audit_checkpoints SET at = at + 3600 WHERE seq = 64").rowcount == 1
    return 64


TAMPERINGS = {
    "edit-target": t_edit_target,
    "edit-actor-and-details": t_edit_details,
    "delete-middle-row": t_delete_middle,
    "swap-two-rows": t_swap_seq,
    "delete-last-3-rows": t_truncate_last_3,
    "forge-checkpoint-at": t_forge_checkpoint_time,
}


def tamper(data: Path, fn) -> int:
    conn = open_db(data)
    try:
        conn.executescript(DROP_TRIGGERS)
        conn.execute("BEGIN")
        expected = fn(conn)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return expected


def assert_verify_names(custos_bin, data: Path, expected_seq: int) -> None:
    text, js, report = verify(custos_bin, data)
    out = text.stdout + text.stderr
    assert text.returncode == 1, f"verify should exit 1 after tampering, got {text.returncode}:\n{out}"
    assert text.stdout.startswith("FAILED:"), out
    assert re.search(rf"(?<![\d]){expected_seq}(?![\d])", text.stdout), \
        f"verify output does not name entry {expected_seq}:\n{text.stdout}"
    assert js.returncode == 1, f"verify --json exit {js.returncode}"
    assert report["ok"] is False, report
    assert report.get("failed_seq") == expected_seq, report
    assert report.get("failure"), report


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_verify_detects_tampering(custos_bin, populated_data, tmp_path, name):
    data = copy_data(populated_data, tmp_path / "data")
    expected = tamper(data, TAMPERINGS[name])
    assert_verify_names(custos_bin, data, expected)


# A stronger attacker: edits entry 10 and then recomputes every hash after it, so the chain itself
# is consistent again. Only the signed checkpoint at 64 (and the signed head) can catch this.
# The canonical encoding is the public one (Sources/CustosCore/Audit/AuditChain.swift):
# BLAKE2b-256(prev_hash ‖ seq:int64be ‖ at:int64be ‖ (len:uint32be ‖ utf8) for actor, role,
# action, target, details, client).

def _entry_hash(prev: bytes, seq, at, actor, role, action, target, details, client) -> bytes:
    h = hashlib.blake2b(digest_size=32)
    h.update(prev)
    h.update(seq.to_bytes(8, "big", signed=True))
    h.update(at.to_bytes(8, "big", signed=True))
    for f in (actor, role, action, target, details, client):
        b = f.encode()
        h.update(len(b).to_bytes(4, "big"))
        h.update(b)
    return h.digest()


ROW = "SELECT seq, at, actor, role, action, target, details, client, prev_hash, hash FROM audit_events"


def test_verify_detects_rewritten_chain(custos_bin, populated_data, tmp_path):
    data = copy_data(populated_data, tmp_path / "data")
    conn = open_db(data)
    try:
        rows = conn.execute(ROW + " ORDER BY seq").fetchall()
        # Precondition: our recomputation matches the server's on the untouched log; otherwise the
        # assertion below would test our own hashing, not the verifier.
        for r in rows[:5]:
            assert _entry_hash(bytes(r[8]), *r[:8]) == bytes(r[9]), \
                "test's chain encoding differs from the server's; update _entry_hash"
        conn.executescript(DROP_TRIGGERS)
        conn.execute("BEGIN")
        conn.execute("UPDATE audit_events SET target = 'covered-up' WHERE seq = 10")
        prev = bytes(conn.execute("SELECT hash FROM audit_events WHERE seq = 9").fetchone()[0])
        for r in conn.execute(ROW + " WHERE seq >= 10 ORDER BY seq").fetchall():
            h = _entry_hash(prev, *r[:8])
            conn.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, r[0]))
            prev = h
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    assert_verify_names(custos_bin, data, 64)


def test_verify_detects_deleted_checkpoint(custos_bin, populated_data, tmp_path):
    """Removing the signed checkpoint that is due at entry 64 is itself tampering."""
    data = copy_data(populated_data, tmp_path / "data")
    conn = open_db(data)
    try:
        conn.executescript(DROP_TRIGGERS)
        assert conn.execute("DELETE FROM audit_checkpoints WHERE seq = 64").rowcount == 1
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    assert_verify_names(custos_bin, data, 64)


def test_verify_detects_truncation_with_signed_head_removed(custos_bin, populated_data, tmp_path):
    """Cutting the tail of the log and deleting audit-head.json (the only record of the tail) must
    not verify as intact: init writes the head, so a log without one has been tampered with."""
    data = copy_data(populated_data, tmp_path / "data")
    head = data / "audit-head.json"
    assert head.is_file(), f"populated data directory has no audit-head.json: {sorted(p.name for p in data.iterdir())}"
    tamper(data, t_truncate_last_3)
    os.remove(head)
    text, js, report = verify(custos_bin, data)
    assert text.returncode == 1, f"verify passed a truncated log whose signed head was deleted:\n{text.stdout}"
    assert report["ok"] is False, report


def test_verify_anchor_catches_a_replayed_older_head(custos_bin, populated_data, tmp_path):
    """An attacker who cuts the log back to a checkpoint, deletes the later checkpoints and puts back
    that checkpoint's signature as the head: heads are signed under a tag of their own, so plain
    verification names the head's signature as invalid; a copy of the real head kept outside (`--anchor`)
    catches the truncation too. (A replayed genuine older *head* passes plain verification and only an
    anchor catches it: CustosWebTests/AuditIntegrityTests.)"""
    data = copy_data(populated_data, tmp_path / "data")
    anchor = tmp_path / "head-kept-outside.json"
    shutil.copyfile(data / "audit-head.json", anchor)
    ok = run_custos(custos_bin, "verify", "--data", str(data), "--anchor", str(anchor))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    conn = open_db(data)
    try:
        conn.executescript(DROP_TRIGGERS)
        seq, at, hsh, sig = conn.execute("SELECT seq, at, hash, signature FROM audit_checkpoints WHERE seq = 64").fetchone()
        conn.execute("DELETE FROM audit_events WHERE seq > 64")
        conn.execute("DELETE FROM audit_checkpoints WHERE seq > 64")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    (data / "audit-head.json").write_text(json.dumps(
        {"seq": seq, "at": at, "hash": hsh.hex(), "signature": sig.hex()}))
    plain = run_custos(custos_bin, "verify", "--data", str(data))
    anchored = run_custos(custos_bin, "verify", "--data", str(data), "--anchor", str(anchor))
    assert anchored.returncode == 1, f"verify --anchor passed a truncated log:\n{anchored.stdout}"
    # The head file is checked first, so the first break named is its signature.
    assert "signed head (audit-head.json) at entry 64" in anchored.stdout, anchored.stdout
    assert plain.returncode == 1 and "signed head (audit-head.json) at entry 64 has an invalid signature" in plain.stdout, plain.stdout


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------

def test_demo_users_are_ready_and_random(custos_bin, tmp_path):
    from conftest import Server, current_counter, totp

    creds_file = tmp_path / "demo.json"
    server = Server(custos_bin, tmp_path / "demo-data", tmp_path, command="demo",
                    extra_args=("--credentials", str(creds_file)))
    try:
        # The credentials are written once the custodians' devices have made the key (a second or two after start-up).
        deadline = time.monotonic() + 60
        while not creds_file.is_file() and time.monotonic() < deadline and server.alive():
            time.sleep(0.2)
        assert creds_file.is_file(), "demo did not write the credentials file:\n" + server.log()
        assert stat.S_IMODE(creds_file.stat().st_mode) & 0o077 == 0, "credentials file readable by others"
        demo = json.loads(creds_file.read_text())
        assert demo["url"] == server.base, demo["url"]
        users = {u["username"]: u for u in demo["users"]}
        roles = sorted(set(r for u in demo["users"] for r in u["roles"]))
        assert roles == ["admin", "auditor", "custodian", "legal", "security"], roles
        # Three key custodians, each with its key file (mode 0600) and that file's passphrase; a 2-of-3 key made
        # by their devices; the trust root capture clients pin; and a capture token for scripts.
        custodians = demo["custodians"]
        assert len(custodians) == 3 and all(len(c["passphrase"]) >= 16 and c["totp_secret"] for c in custodians), custodians
        for c in custodians:
            key = Path(c["key_file"])
            assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600, key
            assert json.loads(key.read_text())["format"] == "custos-custodian-key/1"
            assert c["passphrase"] not in key.read_text()
        assert re.fullmatch(r"[0-9a-f]{64}", demo["archive_trust"]), demo["archive_trust"]
        assert {c["username"] for c in custodians} <= set(users)
        assert demo["capture_token"].startswith("cst_")
        passwords = [u["password"] for u in demo["users"]]
        assert len(set(passwords)) == len(passwords) and all(len(p) >= 12 for p in passwords)
        for u in demo["users"]:
            needs_totp = bool({"admin", "custodian"} & set(u["roles"]))
            assert (u["totp_secret"] is not None) == needs_totp, u["username"]

        assert server.client().get("/login").status == 200
        # A user without TOTP goes straight to the overview: no forced password change.
        plain = next(u for u in demo["users"] if u["totp_secret"] is None)
        c = server.client()
        r = c.sign_in(plain["username"], plain["password"])
        assert r.status == 303 and r.location_path == "/", \
            f"demo user {plain['username']}: {r.status} → {r.header('Location')}"
        assert c.get("/").status == 200
        # The demo admin: password, then TOTP, then the overview.
        admin = users["admin"]
        c = server.client()
        r = c.sign_in("admin", admin["password"])
        assert r.status == 303 and r.location_path == "/login/totp", (r.status, r.header("Location"))
        r = c.submit("/login/totp", "/login/totp", {"code": totp(admin["totp_secret"], counter=current_counter())})
        assert r.status == 303 and r.location_path == "/", (r.status, r.header("Location"), r.body[:500])
        assert c.get("/admin/users").status == 200
        # The sample corpus arrives through the real capture path (240 Enron mails, 158 Slack
        # messages) and the archive verifies against its audit chain.
        deadline = time.time() + 90
        report = {}
        while time.time() < deadline:
            _, _, report = verify(custos_bin, tmp_path / "demo-data")
            if report.get("messages") == 398:
                break
            time.sleep(1)
        assert report.get("ok") is True and report.get("messages") == 398, report
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# report access
# --------------------------------------------------------------------------------------------

def test_report_access_csv(custos_bin, populated_data, tmp_path):
    """`custos report access --quarter YYYY-Qn --format csv` writes the report to stdout and audits it."""
    import datetime
    data = copy_data(populated_data, tmp_path / "data")
    today = datetime.datetime.now(datetime.timezone.utc)
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    r = run_custos(custos_bin, "report", "access", "--data", str(data), "--quarter", quarter, "--format", "csv")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "section,subject,metric,value", lines[:3]
    assert lines[1].startswith(f"report,{quarter},generated,"), lines[1]
    assert any(line.startswith("logins,") for line in lines), "the populated log has sign-ins this quarter"
    conn = open_db(data)
    try:
        assert conn.execute("SELECT count(*) FROM audit_events WHERE action = 'report.generated'").fetchone()[0] == 1
        # (the html run below adds a second)
    finally:
        conn.close()
    page = run_custos(custos_bin, "report", "access", "--data", str(data), "--quarter", quarter, "--format", "html")
    assert page.returncode == 0 and "<svg" in page.stdout and 'id="flag-count"' in page.stdout, page.stderr
    assert "<style>" in page.stdout and "<script" not in page.stdout
    bad = run_custos(custos_bin, "report", "access", "--data", str(data), "--quarter", "2026-Q5")
    assert bad.returncode != 0 and "2026-Q3" in (bad.stdout + bad.stderr)


# --------------------------------------------------------------------------------------------
# verify: the archive itself (alter, swap or remove a ciphertext)
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def archived_data(custos_bin, tmp_path_factory) -> Path:
    """A stopped demo data directory holding the 398 sample messages (captured through the real client)."""
    from conftest import start_demo
    server, data, _ = start_demo(custos_bin, tmp_path_factory.mktemp("archived"))
    server.stop()
    return data


def tamper_archive(data: Path, *statements: str) -> None:
    conn = open_db(data)
    try:
        conn.executescript("DROP TRIGGER IF EXISTS envelopes_write_once; DROP TRIGGER IF EXISTS envelopes_only_disposed;"
                           "DROP TRIGGER IF EXISTS envelopes_not_held;")
        conn.execute("BEGIN")
        for s in statements:
            assert conn.execute(s).rowcount >= 1, s
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@pytest.mark.parametrize("name,statements,message", [
    ("alter", ["UPDATE envelopes SET ciphertext = zeroblob(length(ciphertext)) WHERE message_id = 7"], 7),
    ("swap", ["UPDATE envelopes SET message_id = -1 WHERE message_id = 11",
              "UPDATE envelopes SET message_id = 11 WHERE message_id = 12",
              "UPDATE envelopes SET message_id = 12 WHERE message_id = -1"], 11),
    ("remove", ["DELETE FROM envelopes WHERE message_id = 20"], 20),
])
def test_verify_detects_archive_tampering(custos_bin, archived_data, tmp_path, name, statements, message):
    data = copy_data(archived_data, tmp_path / "data")
    text, js, report = verify(custos_bin, data)
    assert text.returncode == 0 and report["ok"] is True, text.stdout
    tamper_archive(data, *statements)
    text, js, report = verify(custos_bin, data)
    assert text.returncode == 1 and js.returncode == 1, f"{name}: verify passed a tampered archive:\n{text.stdout}"
    assert report["ok"] is False and f"message {message}" in report["failure"], report
    assert f"message {message}" in text.stdout, text.stdout


def test_capture_to_a_closed_port_gives_up_after_its_retries(custos_bin, tmp_path):
    """Refused connections are retried by the client's own policy (6 attempts, about 15 s of backoff) and
    never silently inside the HTTP client, which once kept a single attempt going for minutes."""
    import socket
    import subprocess
    from conftest import REPO, custos_env, free_port
    mail = tmp_path / "one.eml"
    mail.write_bytes(b"From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nbody\r\n")
    port = free_port()
    with socket.socket() as s:  # nothing listens there
        assert s.connect_ex(("127.0.0.1", port)) != 0
    started = time.monotonic()
    r = subprocess.run([str(custos_bin), "capture", "--server", f"http://127.0.0.1:{port}", "--token", "cst_x",
                        "--trust", "0" * 64, "--trust-state", str(tmp_path / "trust.json"), "--format", "eml", str(mail)], cwd=REPO, env=custos_env(), capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "after 6 attempts" in r.stderr + r.stdout, r.stderr
    assert 14 <= elapsed < 60, f"gave up after {elapsed:.1f} s"


# --------------------------------------------------------------------------------------------
# The administrator alone, on the command line (issue 17): puppet custodians never make a key
# --------------------------------------------------------------------------------------------

def admin_session(server, creds) -> "WebClient":
    """The demo administrator signed in (password, then TOTP)."""
    from conftest import WebClient
    admin_creds = next(u for u in creds["users"] if u["username"] == "admin")
    admin = WebClient(server.port)
    r = admin.sign_in("admin", admin_creds["password"])
    assert r.location_path == "/login/totp", r.status
    r = admin.submit("/login/totp", "/login/totp", {"code": totp(admin_creds["totp_secret"])})
    assert r.status == 303 and r.location_path == "/", r.status
    return admin


def new_custodian_with_device(custos_bin, server, admin, name: str, tmp_path) -> dict:
    """The administrator creates custodian `name`; the account is taken over at its first sign-in (new password,
    TOTP), makes an enrolment code on its Custodian device page, and its device is made and enrolled with
    `custos custodian init` and `custos custodian enrol`. Returns {"passphrase", "key_file"}."""
    import subprocess
    from conftest import REPO, WebClient, custos_env
    made = admin.submit("/admin/users/new", "/admin/users", {"username": name, "display_name": name, "role": "custodian"})
    assert made.status == 201, made.status
    otp = made.element_text("one-time-password")
    p = WebClient(server.port)
    assert p.sign_in(name, otp).location_path == "/account/password"
    new = "a custodian's own passphrase 0123456789"
    r = p.submit("/account/password", "/account/password", {"current_password": otp, "new_password": new, "confirm_password": new})
    assert r.location_path == "/account/totp", r.status
    page = p.get("/account/totp")
    secret = page.element_text("totp-secret")
    enrolment = re.search(r'name="enrolment" value="([0-9a-f]+)"', page.body).group(1)
    assert p.post_form("/account/totp", {"csrf": page.csrf(), "enrolment": enrolment, "code": totp(secret)}).status == 303
    code = p.submit("/custodian/device", "/custodian/device/code", {}).element_text("code")
    assert code and code.startswith("enr_"), code
    key = tmp_path / f"{name}.key"
    device = {"passphrase": f"the device passphrase of {name}", "key_file": str(key)}
    env = {**custos_env(), "CUSTOS_KEY_PASSPHRASE": device["passphrase"]}
    made_key = subprocess.run([str(custos_bin), "custodian", "init", "--key", str(key)], cwd=REPO, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert made_key.returncode == 0, made_key.stderr
    enrolled = custodian_cli(custos_bin, device, "enrol", "--server", server.base, "--code", code)
    assert enrolled.returncode == 0 and "Enrolled for " + name in enrolled.stdout, enrolled.stdout + enrolled.stderr
    fingerprint = custodian_cli(custos_bin, device, "fingerprint").stdout.strip()
    assert fingerprint and fingerprint in p.get("/custodian/device").body, "the page shows the enrolled fingerprint"
    return device


def ceremony_runs(custos_bin, server, devices: list[dict], timeout: int) -> list[tuple[int, str]]:
    """`custos custodian ceremony --yes` for each device at once; (exit status, output) of each."""
    import subprocess
    from conftest import REPO, custos_env
    runs = []
    for device in devices:
        env = {**custos_env(), "CUSTOS_KEY_PASSPHRASE": device["passphrase"]}
        runs.append(subprocess.Popen([str(custos_bin), "custodian", "ceremony", "--server", server.base, "--key", device["key_file"],
                                      "--yes", "--timeout", str(timeout), "--poll-ms", "200"], cwd=REPO, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return [(r.wait(timeout=timeout + 60), r.stdout.read()) for r in runs]


def test_puppet_custodians_of_an_administrator_never_make_a_key(custos_bin, tmp_path):
    """The administrator creates two custodian accounts on the web, takes them over (it saw their one-time
    passwords), makes their devices with `custos custodian init`, enrols them, proposes a new key over them with
    `custos keys propose`, and runs `custos custodian ceremony` as both. The ceremony waits for two of the demo's
    genuine custodians to endorse it, and never comes into force; capture pinned to the demo's trust root keeps
    sealing to epoch 1."""
    from conftest import start_demo

    server, data, creds = start_demo(custos_bin, tmp_path)
    try:
        admin = admin_session(server, creds)
        keys = [new_custodian_with_device(custos_bin, server, admin, name, tmp_path) for name in ("puppet1", "puppet2")]

        proposed = run_custos(custos_bin, "keys", "propose", "--data", str(data), "--custodians", "puppet1,puppet2")
        assert proposed.returncode == 0, proposed.stderr
        for status, out in ceremony_runs(custos_bin, server, keys, timeout=12):
            assert status != 0, out
            assert "signed the transcript" in out, out
            assert "gave up waiting" in out and "custodians still to endorse" in out, out

        listed = run_custos(custos_bin, "keys", "list", "--data", str(data))
        epochs = [line for line in listed.stdout.splitlines() if line.startswith("epoch ")]
        assert epochs == [f"epoch 1: new_key, 2 of 3, transcript {creds['archive_trust']}"], listed.stdout
        assert "ceremony 2 in progress for epoch 2" in listed.stdout, listed.stdout
        mail = tmp_path / "after.eml"
        mail.write_bytes(b"From: a@example.com\r\nTo: b@example.com\r\nSubject: after the puppets\r\n"
                         b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nstill sealed to epoch 1\r\n")
        captured = run_custos(custos_bin, "capture", "--server", server.base, "--token", creds["capture_token"],
                              "--trust", creds["archive_trust"], "--trust-state", str(tmp_path / "trust.json"), "--format", "eml", str(mail))
        assert captured.returncode == 0 and captured.stdout.strip().endswith("captured 1, duplicates 0, rejected 0"), captured.stdout + captured.stderr
        with open_db(data) as db:
            assert db.execute("SELECT DISTINCT epoch FROM messages").fetchall() == [(1,)]
        assert run_custos(custos_bin, "verify", "--data", str(data)).returncode == 0
    finally:
        server.stop()


def test_custodian_turnover_by_redistribution_on_the_command_line(custos_bin, tmp_path):
    """Custodian turnover (issue 17, point 5): the demo's key, held 2-of-3 by custodian, custodian2 and
    custodian3, is handed to {custodian2, custodian3, newkeeper} with `custos keys redistribute`; the old holders
    and the newcomer each run `custos custodian ceremony`. The archive key is unchanged, so the trust root still
    verifies and mail captured before opens with newkeeper's approval; custodian's share stops counting."""
    from conftest import start_demo

    server, data, creds = start_demo(custos_bin, tmp_path)
    try:
        admin = admin_session(server, creds)
        newcomer = new_custodian_with_device(custos_bin, server, admin, "newkeeper", tmp_path)
        old = {c["username"]: c for c in creds["custodians"]}
        before = run_custos(custos_bin, "keys", "list", "--data", str(data)).stdout
        proposed = run_custos(custos_bin, "keys", "redistribute", "--data", str(data), "--custodians",
                              "custodian2,custodian3,newkeeper")
        assert proposed.returncode == 0, proposed.stderr
        results = ceremony_runs(custos_bin, server, [old["custodian"], old["custodian2"], old["custodian3"], newcomer], timeout=120)
        for status, out in results:
            assert status == 0 and "Epoch 2 is in force" in out, out
        assert "forgot this device's share of epoch 1" in results[0][1], results[0][1]
        listed = run_custos(custos_bin, "keys", "list", "--data", str(data)).stdout
        assert "epoch 2: redistribution, 2 of 3" in listed and creds["archive_trust"] in listed, listed
        assert before.splitlines()[0] in listed, "the trust root is unchanged"

        # An auditor files a request for two messages captured before the turnover.
        auditor_creds = next(u for u in creds["users"] if "auditor" in u["roles"])
        from conftest import WebClient
        a = WebClient(server.port)
        assert a.sign_in(auditor_creds["username"], auditor_creds["password"]).location_path == "/"
        with open_db(data) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM messages WHERE epoch = 1 ORDER BY id LIMIT 2")]
        form = a.get(f"/requests/new?message_id={ids[0]}&message_id={ids[1]}")
        filed = a.post_form("/requests", [("csrf", form.csrf()), ("message_id", str(ids[0])), ("message_id", str(ids[1])),
                                          ("justification", "Reading mail from before the custodian turnover."),
                                          ("reference", "TURNOVER-1"), ("hours", "1")])
        assert filed.status == 303, filed.status
        request_id = filed.location_path.rsplit("/", 1)[1]
        retired = custodian_cli(custos_bin, old["custodian"], "approve", "--server", server.base, request_id)
        assert retired.returncode != 0 and "no share of key epoch 2" in retired.stdout + retired.stderr, retired.stdout + retired.stderr
        first = custodian_cli(custos_bin, old["custodian3"], "approve", "--server", server.base, request_id)
        assert first.returncode == 0 and "Approved (1 of 2)" in first.stdout, first.stdout + first.stderr
        second = custodian_cli(custos_bin, newcomer, "approve", "--server", server.base, request_id)
        assert second.returncode == 0 and "Your approval completed the request" in second.stdout, second.stdout + second.stderr
        page = a.get(f"/messages/{ids[0]}/content")
        assert page.status == 200 and "Viewed by" in page.body, page.status
        assert run_custos(custos_bin, "verify", "--data", str(data)).returncode == 0
        # After two ceremonies, captures and approvals, no key file passphrase is anywhere the server writes
        # (DIR/custodians stands in for the custodians' own machines and is left out).
        passphrases = [c["passphrase"].encode() for c in creds["custodians"]] + [newcomer["passphrase"].encode()]
        scanned = 0
        for path in data.rglob("*"):
            if path.is_file() and "custodians" not in path.relative_to(data).parts:
                blob = path.read_bytes()
                scanned += 1
                for secret in passphrases:
                    assert secret not in blob, f"a custodian passphrase is in {path}"
        assert scanned >= 5, scanned
    finally:
        server.stop()
