"""Two `custos serve` processes on one PostgreSQL archive, from the outside.

A throwaway PostgreSQL 15 (pg_cluster.py, Unix socket only) gets the schema from `custos migrate` as the owner
role; `custos init` makes data directory D1 against it as the application role, and D2 is a second data
directory holding a copy of D1's server keys. Node A serves D1 and node B serves D2, both on the same database,
with a 6-second background lease. A is started first and takes the background jobs (audited as
`system.background_jobs_taken`); B starts once A holds them.

Load: 50 client sessions (10 legal accounts, 5 sessions each) open matters for 60 s, each session alternating
its requests between A and B (sessions live in the database: a cookie from A works on B, asserted once). A write
is acknowledged when POST /matters answered 303 to /matters/ID. At 30 s node A gets SIGKILL; a session whose
request to A fails stops using A and carries on against B. Failed requests are not acknowledged.

Then: every acknowledged matter is in the archive (B's matter list shows it with its name; the matters table and
a `matter.opened` audit entry hold its id), the background jobs moved to B (a take-over entry naming B's
process, written within lease + check interval + slack of the kill), B stops cleanly on SIGTERM, and
`custos verify` finds one intact audit chain. Everything stays on loopback and a Unix socket.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import CLI_TIMEOUT, REPO, Server, WebClient, custos_env, totp
from pg_cluster import APP, OWNER, pg_cluster  # noqa: F401  (pg_cluster is a fixture)

LEASE_SECONDS = 6
CHECK_SECONDS = max(2.0, LEASE_SECONDS / 3)     # how often housekeeping renews or takes the lease
TAKEOVER_SLACK = 3.0                           # plus `at` being whole seconds
ACCOUNTS = 10
SESSIONS_PER_ACCOUNT = 5                        # 50 concurrent client sessions
RUN_SECONDS = 60.0
KILL_AT = 30.0
PASSWORD = "violet harbour lantern seventy three"
MATTER_ID = re.compile(r"^/matters/(\d+)$")


def cli(custos_bin: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(custos_bin), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)


def on(client: WebClient, server: Server) -> WebClient:
    """Points a client (and its cookie jar) at `server` for its next requests."""
    client.port = server.port
    return client


def wait_for(what: str, timeout: float, probe, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def takeovers(pg) -> list[dict]:
    rows = pg.sql("SELECT seq, at, target, details FROM audit_events "
                  "WHERE action = 'system.background_jobs_taken' ORDER BY seq", role=OWNER)
    return [{"seq": int(s), "at": int(a), "target": t, "details": d} for s, a, t, d in rows]


def holder_of(server: Server) -> str:
    return f"/{server.proc.pid}/"


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------

def set_up_admin(server: Server, username: str, one_time_password: str) -> WebClient:
    """One-time password → forced password change → TOTP enrolment; returns the signed-in admin."""
    c = server.client()
    r = c.sign_in(username, one_time_password)
    assert r.status == 303 and r.location_path == "/account/password", (r.status, r.header("Location"), r.body[:500])
    r = c.submit("/account/password", "/account/password",
                 {"current_password": one_time_password, "new_password": PASSWORD, "confirm_password": PASSWORD})
    assert r.status == 303 and r.location_path == "/account/totp", (r.status, r.header("Location"), r.element_text("error"))
    page = c.get("/account/totp")
    secret = page.element_text("totp-secret")
    enrolment = re.search(r'name="enrolment" value="([0-9a-f]+)"', page.body)
    assert secret and enrolment, page.body[:1500]
    r = c.post_form("/account/totp", {"csrf": page.csrf(), "enrolment": enrolment.group(1), "code": totp(secret)})
    assert r.status == 303 and r.location_path == "/", (r.status, r.header("Location"), r.element_text("error"))
    assert c.get("/admin/users").status == 200
    return c


def set_up_legal_account(admin: WebClient, a: Server, b: Server, name: str) -> list[WebClient]:
    """The admin (on A) creates legal account `name`; its first sign-in (on B) changes the one-time password;
    then it signs in again, alternately on A and B, until it has SESSIONS_PER_ACCOUNT sessions."""
    made = on(admin, a).submit("/admin/users/new", "/admin/users", {"username": name, "display_name": name, "role": "legal"})
    assert made.status == 201, (made.status, made.element_text("error"), made.body[:800])
    otp = made.element_text("one-time-password")
    assert otp, made.body[:800]
    first = b.client()
    r = first.sign_in(name, otp)
    assert r.status == 303 and r.location_path == "/account/password", (r.status, r.header("Location"))
    r = first.submit("/account/password", "/account/password",
                     {"current_password": otp, "new_password": PASSWORD, "confirm_password": PASSWORD})
    assert r.status == 303 and r.location_path in ("/", "/matters"), (r.status, r.header("Location"), r.element_text("error"))
    sessions = [first]
    for i in range(1, SESSIONS_PER_ACCOUNT):
        c = (a if i % 2 else b).client()
        r = c.sign_in(name, PASSWORD)
        assert r.status == 303 and r.location_path == "/", (name, i, r.status, r.header("Location"))
        sessions.append(c)
    return sessions


# --------------------------------------------------------------------------------------------
# One client session under load
# --------------------------------------------------------------------------------------------

class Session(threading.Thread):
    """Opens matters until `stop` is set, alternating between the nodes; after a failed request to a node it
    leaves that node alone. Records every acknowledged matter (303 to /matters/ID) and every failure."""

    def __init__(self, index: int, account: str, client: WebClient, nodes: list, start: threading.Event,
                 stop: threading.Event):
        super().__init__(name=f"session-{index}", daemon=True)
        self.index, self.account, self.client, self.nodes = index, account, client, nodes
        self.start_event, self.stop_event = start, stop
        self.acked: list[tuple[str, int, str, float]] = []  # (node, matter id, name, time)
        self.failed: list[tuple[str, float, str]] = []   # (node, time, what)
        self.refused: list[tuple[str, float, int, str]] = []  # answered, but not 303 to a matter
        self.down: set[str] = set()
        self.csrf: str | None = None

    def run(self) -> None:
        self.start_event.wait()
        n = 0
        while not self.stop_event.is_set():
            up = [s for s in self.nodes if s[0] not in self.down]
            if not up:
                return
            label, server = up[n % len(up)]
            n += 1
            name = f"s{self.index:02d}-m{n:05d}"
            try:
                on(self.client, server)
                if self.csrf is None:
                    self.csrf = self.client.get("/matters").csrf()
                r = self.client.post_form("/matters", {"csrf": self.csrf, "name": name,
                                                        "description": f"{self.account} via {label}"})
            except (OSError, http.client.HTTPException) as e:
                self.failed.append((label, time.time(), f"{type(e).__name__}: {e}"))
                self.down.add(label)
                continue
            m = MATTER_ID.match(r.location_path or "") if r.status == 303 else None
            if m:
                self.acked.append((label, int(m.group(1)), name, time.time()))
            else:
                self.refused.append((label, time.time(), r.status, (r.element_text("error") or r.body[:200])))
                self.csrf = None


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------

def test_two_nodes_share_one_postgres_archive(custos_bin, pg_cluster, tmp_path):  # noqa: F811
    pg = pg_cluster
    owner_env = pg.env(OWNER, custos_env())
    app_env = pg.env(APP, custos_env())
    app_url = pg.url(APP)

    # 1. The schema, as the owner; the application role gets its privileges.
    r = cli(custos_bin, owner_env, "migrate", "--database", pg.url(OWNER), "--application-role", APP)
    assert r.returncode == 0, f"custos migrate failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"

    # 2. D1 with its keys and the first administrator; D2 holds a copy of the same keys.
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    r = cli(custos_bin, app_env, "init", "--data", str(d1), "--database", app_url, "--json")
    assert r.returncode == 0, f"custos init failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    creds = json.loads([line for line in r.stdout.splitlines() if line.strip()][-1])
    assert not (d1 / "custos.sqlite").exists(), "custos init --database made a SQLite file"
    d2.mkdir(mode=0o700)
    shutil.copytree(d1 / "keys", d2 / "keys")   # copy2: modes kept
    for f in (d1 / "keys").iterdir():
        assert (d2 / "keys" / f.name).stat().st_mode == f.stat().st_mode, f.name

    # 3. Node A first, until it holds the background jobs; then node B.
    serve_args = ("--database", app_url, "--background-lease-seconds", str(LEASE_SECONDS))
    a = Server(custos_bin, d1, tmp_path, extra_args=serve_args, extra_env={"PGPASSWORD": pg.passwords[APP]})
    servers = [a]
    b = None
    try:
        wait_for("node A to take the background jobs", LEASE_SECONDS + 10,
                 lambda: any(holder_of(a) in t["target"] for t in takeovers(pg)))
        b = Server(custos_bin, d2, tmp_path, extra_args=serve_args, extra_env={"PGPASSWORD": pg.passwords[APP]})
        servers.append(b)
        nodes = [("A", a), ("B", b)]

        # 4. Accounts: the admin, then the legal accounts and their 50 sessions.
        setup_started = time.monotonic()
        admin = set_up_admin(a, creds["username"], creds["password"])
        # A session made on A is a session on B: the archive, not the node, holds it.
        assert on(admin, b).get("/admin/users").status == 200, "the admin's session from node A does not work on node B"
        accounts = [f"legal{i:02d}" for i in range(ACCOUNTS)]
        sessions: list[tuple[str, WebClient]] = []
        for name in accounts:
            sessions += [(name, c) for c in set_up_legal_account(admin, a, b, name)]
        assert len(sessions) == ACCOUNTS * SESSIONS_PER_ACCOUNT
        print(f"\nset-up: admin and {ACCOUNTS} legal accounts with {len(sessions)} sessions "
              f"in {time.monotonic() - setup_started:.1f} s")
        # The background jobs are still A's: B has not taken them while A renews.
        assert holder_of(a) in takeovers(pg)[-1]["target"], takeovers(pg)

        # 5. The load, with node A killed half-way.
        start, stop = threading.Event(), threading.Event()
        clients = [Session(i, name, c, nodes, start, stop) for i, (name, c) in enumerate(sessions)]
        for t in clients:
            t.start()
        t0 = time.monotonic()
        start.set()
        time.sleep(KILL_AT)
        holder = pg.sql("SELECT holder FROM leases WHERE name = 'background-jobs'", role=OWNER)
        assert holder and holder_of(a) in holder[0][0], f"node A (pid {a.proc.pid}) should hold the lease: {holder}"
        killed_at = time.time()
        a.proc.kill()                       # SIGKILL: no release of the lease, no goodbye
        a.proc.wait(timeout=10)
        time.sleep(max(0.0, RUN_SECONDS - (time.monotonic() - t0)))
        stop.set()
        for t in clients:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in clients), "a client session did not finish within 30 s of the stop"
        assert b.alive(), f"node B died under load:\n{b.log()}"

        acked = [(node, mid, name, t.account) for t in clients for node, mid, name, _ in t.acked]
        failed = [f for t in clients for f in t.failed]
        refused = [x for t in clients for x in t.refused]
        per_node = Counter(node for node, *_ in acked)
        acked_after_kill_on_b = sum(1 for t in clients for node, _, _, at in t.acked if node == "B" and at > killed_at + 1)
        print(f"load: {len(clients)} sessions for {RUN_SECONDS:.0f} s, node A killed at {KILL_AT:.0f} s")
        print(f"acknowledged writes: {len(acked)} (node A {per_node['A']}, node B {per_node['B']}); "
              f"after the kill on B {acked_after_kill_on_b}; failed requests: {len(failed)} ({dict(Counter(f[0] for f in failed))}); "
              f"refused (answered, not acknowledged): {len(refused)}")
        for f in failed[:5]:
            print(f"  failed: node {f[0]} at kill{f[1] - killed_at:+.2f} s: {f[2]}")
        assert not refused, f"{len(refused)} requests answered without a matter, e.g. {refused[:5]}\n" \
                            f"--- node B log ---\n{b.log()}"
        assert not [f for f in failed if f[0] == "B"], f"requests to node B failed: {[f for f in failed if f[0] == 'B'][:5]}"
        assert all(f[1] >= killed_at - 0.5 for f in failed), f"requests failed before the kill: {failed[:5]}"
        assert per_node["A"] > 0 and per_node["B"] > 0 and acked_after_kill_on_b > 0, per_node
        ids = [mid for _, mid, _, _ in acked]
        assert len(set(ids)) == len(ids), f"one matter id acknowledged twice: {[i for i, n in Counter(ids).items() if n > 1][:10]}"

        # 6. Zero lost acknowledged writes: through node B (names, unsealed) and in the database (ids, audit).
        listing = on(sessions[0][1], b).get("/matters")
        assert listing.status == 200, listing.status
        shown = {int(i): n for i, n in re.findall(r'<tr><td>(\d+)</td><td class="wrap"><a href="[^"]*">([^<]*)</a>',
                                                   listing.body)}
        missing_page = [(mid, name) for _, mid, name, _ in acked if shown.get(mid) != name]
        table = {int(row[0]) for row in pg.sql("SELECT id FROM matters", role=OWNER)}
        audited = {int(row[0].removeprefix("matter:")) for row in
                   pg.sql("SELECT target FROM audit_events WHERE action = 'matter.opened'", role=OWNER)}
        lost_table = sorted(set(ids) - table)
        lost_audit = sorted(set(ids) - audited)
        print(f"archive: {len(table)} matters, {len(audited)} matter.opened entries; node B lists {len(shown)}; "
              f"acknowledged but missing: table {len(lost_table)}, audit {len(lost_audit)}, page {len(missing_page)}")
        assert not lost_table and not lost_audit and not missing_page, \
            f"lost acknowledged writes: table {lost_table[:10]}, audit {lost_audit[:10]}, page {missing_page[:10]}"
        # Unacknowledged requests may have committed (A died after the commit, before the answer), nothing more.
        assert len(table) <= len(ids) + len(failed), (len(table), len(ids), len(failed))
        assert table == audited, f"matters without their audit entry: {sorted(table ^ audited)[:10]}"

        # 7. The background jobs moved to B within lease + check interval + slack of the kill.
        bound = LEASE_SECONDS + CHECK_SECONDS + TAKEOVER_SLACK
        taken = [t for t in takeovers(pg) if holder_of(b) in t["target"]]
        assert taken, f"node B (pid {b.proc.pid}) never took the background jobs: {takeovers(pg)}\n{b.log()}"
        assert len(taken) == 1, f"node B took the jobs more than once: {taken}"
        t_b = taken[0]
        assert holder_of(a) in t_b["details"], f"take-over does not name A as the previous holder: {t_b}"
        delay = t_b["at"] - killed_at
        print(f"take-over: entry {t_b['seq']} at kill{delay:+.1f} s (bound {bound:.0f} s): {t_b['target']} {t_b['details']}")
        assert -1.0 <= delay <= bound, f"background jobs taken {delay:.1f} s after the kill (bound {bound} s): {t_b}"
    finally:
        for s in reversed(servers):
            s.stop()                        # B: SIGTERM (A is already gone)

    # 8. B stopped cleanly; the archive verifies as one chain, against either data directory's head.
    assert b.proc.returncode == 0, f"node B exited {b.proc.returncode} on SIGTERM:\n{b.log()}"
    for data in (d1, d2):
        r = cli(custos_bin, app_env, "verify", "--data", str(data), "--database", app_url)
        print(f"custos verify --data {data.name}: exit {r.returncode}\n{r.stdout.strip()}\n{r.stderr.strip()}".rstrip())
        assert r.returncode == 0, f"custos verify --data {data} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        rj = cli(custos_bin, app_env, "verify", "--data", str(data), "--database", app_url, "--json")
        report = json.loads([line for line in rj.stdout.splitlines() if line.strip()][-1])
        assert rj.returncode == 0 and report.get("ok") is True, f"verify --json: {report}\n{rj.stderr}"
        print(f"custos verify --json --data {data.name}: {json.dumps(report)}")
    # One chain: seq 1…n without gaps, every entry naming a different predecessor (no fork).
    count, first, last, predecessors = pg.sql(
        "SELECT count(*), min(seq), max(seq), count(DISTINCT prev_hash) FROM audit_events", role=OWNER)[0]
    assert count == last == predecessors and first == "1", \
        f"the audit log is not one chain: {count} entries, seq {first}…{last}, {predecessors} distinct predecessors"
    assert report.get("entries") in (None, int(count)), f"verify counted {report.get('entries')} entries, the log has {count}"
    print(f"audit log: {count} entries in one chain")
