"""`custos migrate-store` and `custos demo --database` (issue 19, points 2 and 4), played as their adversaries.

The demo's archive (398 captured messages, custodians, a key epoch, audit entries and checkpoints) is stopped and
copied into a fresh PostgreSQL database the way an operator would: `custos migrate` as the owner, then
`custos migrate-store --from DIR --to OWNER-URL`. Asserted:

- a database that is not migrated, a tampered source (an audit entry edited by someone who dropped the trigger
  that guards it) and a source with a table the target lacks are refused, and nothing lands in the target;
- the copy has every row of every table, the same audit chain head (sequence number and hash), and
  `custos verify --database` passes on it with the data directory's keys and signed head;
- the copy is not left with its rules switched off: no trigger is disabled, and the application role (and the
  owner) cannot edit a message or delete an audit entry;
- a second copy into the same, now occupied, database is refused and changes nothing;
- a server on the copy answers the same searches with the same counts, and its new entries continue the chain;
- a thief of the PostgreSQL files finds no subject or body text of the archived mail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

from conftest import (CAPTURE_TIMEOUT, CLI_TIMEOUT, DEMO_MESSAGES, REPO, Server, WebClient, copy_data, custos_env, open_db,
                      start_demo)
from pg_cluster import APP, OWNER, SUPERUSER, pg_cluster  # noqa: F401  (pg_cluster is a fixture)
from test_search_browser import enron_probe


def cli(custos_bin: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(custos_bin), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)


def sqlite_tables(data: Path) -> dict[str, int]:
    db = open_db(data)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT IN ('schema_migrations', 'leases', 'sqlite_sequence')")]
        return {n: db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}
    finally:
        db.close()


def sqlite_head(data: Path) -> tuple[int, str]:
    db = open_db(data)
    try:
        seq, digest = db.execute("SELECT seq, lower(hex(hash)) FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        return seq, digest
    finally:
        db.close()


def pg_tables(pg, database: str, names) -> dict[str, int]:
    return {n: int(pg.sql(f"SELECT count(*) FROM {n}", role=OWNER, database=database)[0][0]) for n in names}


def pg_head(pg, database: str) -> tuple[int, str]:
    seq, digest = pg.sql("SELECT seq, encode(hash, 'hex') FROM audit_events ORDER BY seq DESC LIMIT 1",
                         role=OWNER, database=database)[0]
    return int(seq), digest


def result_count(client: WebClient, query: dict) -> int:
    r = client.get("/search?" + urllib.parse.urlencode(query))
    assert r.status == 200, (r.status, r.body[:300])
    text = r.element_text("result-count")
    assert text is not None and text.isdigit(), f"no #result-count for {query}: {text!r}"
    return int(text)


def auditor_searches(server: Server, users: dict, probe) -> dict[str, int]:
    c = server.client()
    r = c.sign_in("auditor", users["auditor"]["password"])
    assert r.status == 303 and r.location_path == "/", (r.status, r.body[:300])
    return {"sender": result_count(c, {"participant": probe.sender}),
            "day": result_count(c, {"after": probe.day, "before": probe.day}),
            "slack": result_count(c, {"platform": "slack"})}


def test_a_sqlite_archive_moves_to_postgresql_whole(custos_bin, pg_cluster, tmp_path):  # noqa: F811
    pg = pg_cluster
    owner_env = pg.env(OWNER, custos_env())
    probe = enron_probe()

    (tmp_path / "src").mkdir()
    server, data, creds = start_demo(custos_bin, tmp_path / "src")
    users = {u["username"]: u for u in creds["users"]}
    try:
        before = auditor_searches(server, users, probe)
    finally:
        server.stop()
    assert before["sender"] > 0 and before["slack"] > 0, before
    tables = sqlite_tables(data)
    head = sqlite_head(data)
    assert tables["messages"] == 398 and tables["audit_events"] == head[0], (tables, head)

    for name in ("custos_unmigrated", "custos_tampered", "custos_moved"):
        pg.sql(f"CREATE DATABASE {name} OWNER {OWNER}", database="postgres")

    # 1. Into a database nobody migrated: refused, with the way forward named.
    r = cli(custos_bin, owner_env, "migrate-store", "--from", str(data), "--to", pg.url(OWNER, "custos_unmigrated"))
    assert r.returncode != 0 and "migrate" in (r.stdout + r.stderr), (r.returncode, r.stdout, r.stderr)
    assert pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", role=OWNER,
                  database="custos_unmigrated") == [["0"]]

    for name in ("custos_tampered", "custos_moved"):
        r = cli(custos_bin, owner_env, "migrate", "--database", pg.url(OWNER, name), "--application-role", APP)
        assert r.returncode == 0, (r.stdout, r.stderr)

    def refused_with_nothing_landed(name: str, edits: list[str], expected: str) -> None:
        """A copy of the source with `edits` applied by raw SQL is refused naming `expected`; the target stays empty."""
        edited = copy_data(data, tmp_path / name)
        db = open_db(edited)
        try:
            for sql in edits:
                db.execute(sql)
        finally:
            db.close()
        r = cli(custos_bin, owner_env, "migrate-store", "--from", str(edited), "--to", pg.url(OWNER, "custos_tampered"))
        assert r.returncode != 0 and expected in r.stderr + r.stdout, f"{name}: not refused as expected:\n{r.stdout}\n{r.stderr}"
        assert pg_tables(pg, "custos_tampered", ["audit_events", "messages", "users", "envelopes"]) == \
            {"audit_events": 0, "messages": 0, "users": 0, "envelopes": 0}

    # 2. A tampered source: someone with the file dropped the trigger and rewrote an audit entry. The copy would
    #    carry the forgery to the new engine; it is refused whole, and the target stays empty.
    refused_with_nothing_landed("tampered", ["DROP TRIGGER audit_events_no_update",
                                             "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"], "does not verify")
    # A table only the source has (an extension, a later version) is not left behind in silence.
    refused_with_nothing_landed("extended", ["CREATE TABLE reviewer_notes (id INTEGER PRIMARY KEY, note TEXT)",
                                             "INSERT INTO reviewer_notes (note) VALUES ('kept somewhere')"], "reviewer_notes")

    # 3. The move itself.
    r = cli(custos_bin, owner_env, "migrate-store", "--from", str(data), "--to", pg.url(OWNER, "custos_moved"))
    assert r.returncode == 0, f"migrate-store failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    assert f"entry {head[0]}, {head[1]}" in r.stdout, r.stdout
    assert pg_tables(pg, "custos_moved", tables) == tables
    assert pg_head(pg, "custos_moved") == head

    app_url = pg.url(APP, "custos_moved")
    app_env = pg.env(APP, custos_env())
    r = cli(custos_bin, app_env, "verify", "--data", str(data), "--database", app_url, "--json")
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0 and report["ok"] is True, (r.stdout, r.stderr)
    assert report["entries"] == head[0] and report["messages"] == 398, report

    # 4. The rules are back on: no trigger left disabled, and neither role can rewrite history.
    disabled = pg.sql("SELECT c.relname || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                      "WHERE NOT t.tgisinternal AND t.tgenabled = 'D'", role=OWNER, database="custos_moved")
    assert disabled == [], f"triggers left disabled after the copy: {disabled}"
    for role in (APP, OWNER):
        for sql in ("UPDATE messages SET size = size + 1 WHERE id = (SELECT min(id) FROM messages)",
                    "DELETE FROM audit_events WHERE seq = 1",
                    "UPDATE envelopes SET ciphertext = '\\x00'::bytea WHERE message_id = (SELECT min(id) FROM messages)"):
            r = pg.psql(sql, role=role, database="custos_moved")
            assert r.returncode != 0, f"{role} could run {sql!r} on the copy"

    # 5. Copying again into the now occupied database: refused, nothing changed.
    r = cli(custos_bin, owner_env, "migrate-store", "--from", str(data), "--to", pg.url(OWNER, "custos_moved"))
    assert r.returncode != 0 and "already holds an archive" in r.stderr + r.stdout, (r.stdout, r.stderr)
    assert pg_head(pg, "custos_moved") == head

    # 6. A server on the copy: the same answers, and new entries continue the chain (fresh ids, no clash).
    moved = Server(custos_bin, data, tmp_path, extra_args=("--database", app_url),
                   extra_env={"PGPASSWORD": pg.passwords[APP]})
    try:
        assert auditor_searches(moved, users, probe) == before
    finally:
        moved.stop()
    r = cli(custos_bin, app_env, "verify", "--data", str(data), "--database", app_url, "--json")
    after = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0 and after["ok"] is True and after["entries"] > head[0], (r.stdout, r.stderr)

    # 7. A thief of the PostgreSQL files (after a checkpoint, so everything is on disk) reads no mail.
    pg.sql("CHECKPOINT", role=SUPERUSER, database="custos_moved")
    oid = pg.sql("SELECT oid FROM pg_database WHERE datname = 'custos_moved'", database="postgres")[0][0]
    files = [p for p in (pg.directory / "data" / "base" / oid).iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) > 398 * 1024, "the copy's files are too small to hold the archive"
    for p in files:
        content = p.read_bytes()
        for what, text in (("subject", probe.subject), ("body", probe.body_line)):
            assert text.encode() not in content, f"the {what} of an archived mail is readable in {p}"


def test_demo_runs_on_postgresql_and_migrates_what_its_role_owns(custos_bin, pg_cluster, tmp_path):  # noqa: F811
    """`custos demo --database URL`: with the owner's URL it migrates the database itself and captures the sample
    into it (nothing in SQLite); with a role that does not own an unmigrated database it stops, naming `migrate`."""
    pg = pg_cluster
    pg.sql(f"CREATE DATABASE custos_demo OWNER {OWNER}", database="postgres")
    pg.sql(f"CREATE DATABASE custos_demo_unmigrated OWNER {OWNER}", database="postgres")

    r = subprocess.run([str(custos_bin), "demo", "--data", str(tmp_path / "refused"), "--port", "0",
                        "--database", pg.url(APP, "custos_demo_unmigrated")],
                       cwd=REPO, env=pg.env(APP, custos_env()), capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert r.returncode != 0 and "custos migrate" in r.stderr + r.stdout, (r.returncode, r.stdout, r.stderr)

    data, creds_file = tmp_path / "data", tmp_path / "demo.json"
    owner_url = pg.url(OWNER, "custos_demo")
    server = Server(custos_bin, data, tmp_path, command="demo",
                    extra_args=("--credentials", str(creds_file), "--database", owner_url),
                    extra_env={"PGPASSWORD": pg.passwords[OWNER]})
    try:
        deadline = time.monotonic() + CAPTURE_TIMEOUT
        report: dict = {}
        while time.monotonic() < deadline and report.get("messages") != DEMO_MESSAGES:
            time.sleep(0.5)
            v = cli(custos_bin, pg.env(OWNER, custos_env()), "verify", "--data", str(data), "--database", owner_url, "--json")
            lines = [line for line in v.stdout.splitlines() if line.strip()]
            report = json.loads(lines[-1]) if lines else {}
            assert server.alive(), server.log()
        assert report.get("ok") is True and report.get("messages") == DEMO_MESSAGES, (report, server.log())
        assert not (data / "custos.sqlite").exists(), "custos demo --database made a SQLite file"
        applied = pg.sql("SELECT count(*) FROM schema_migrations", role=OWNER, database="custos_demo")[0][0]
        assert int(applied) == len(list((REPO / "MigrationsPostgres").glob("*.sql"))), applied
        users = {u["username"]: u for u in json.loads(creds_file.read_text())["users"]}
        counts = auditor_searches(server, users, enron_probe())
        assert counts["sender"] > 0 and counts["slack"] > 0, counts
    finally:
        server.stop()
