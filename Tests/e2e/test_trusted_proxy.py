"""X-Forwarded-For is believed only from a `--trusted-proxy` (issue 18, 17), over real HTTP.

The client address drives the per-address sign-in limits and the audit log. The test client always
connects from 127.0.0.1; what it writes in X-Forwarded-For must count only when 127.0.0.1 is a
trusted proxy. Documentation addresses only; nothing leaves loopback.
"""

from __future__ import annotations

from conftest import Server, WebClient, init_data_dir, open_db, run_custos

ADDRESS_LIMIT = 20   # failed sign-ins from one address, any account, before the address pauses


def sign_in(port: int, username: str, password: str, forwarded_for: str):
    return WebClient(port).submit("/login", "/login", {"username": username, "password": password},
                                  headers={"X-Forwarded-For": forwarded_for})


def login_clients(data) -> set:
    conn = open_db(data)
    try:
        return {row[0] for row in conn.execute("SELECT client FROM audit_events WHERE action LIKE 'login.%'")}
    finally:
        conn.close()


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(custos_bin, tmp_path):
    data = tmp_path / "data"
    creds = init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, tmp_path, extra_args=("--trusted-proxy", "10.0.0.0/8"))
    try:
        # A new forged address on every wrong guess: all of them still count against 127.0.0.1.
        statuses = [sign_in(server.port, f"nobody{i:02d}", "wrong password", f"203.0.113.{i + 1}").status
                    for i in range(ADDRESS_LIMIT)]
        assert set(statuses) <= {401, 429}, statuses
        r = sign_in(server.port, creds["username"], creds["password"], "198.51.100.99")
        assert r.status == 429 and "Sign-in is paused from here" in r.body, f"{r.status} {r.body[:500]}"
    finally:
        server.stop()
    assert login_clients(data) == {"127.0.0.1"}


def test_a_trusted_proxy_names_the_client(custos_bin, tmp_path):
    data = tmp_path / "data"
    creds = init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, tmp_path, extra_args=("--trusted-proxy", "127.0.0.1/32"))
    try:
        r = sign_in(server.port, creds["username"], creds["password"], "192.0.2.66, 198.51.100.7, 127.0.0.1")
        assert r.status == 303, f"{r.status} {r.body[:500]}"
    finally:
        server.stop()
    assert login_clients(data) == {"198.51.100.7"}


def test_a_bad_trusted_proxy_is_refused_at_start(custos_bin, tmp_path):
    r = run_custos(custos_bin, "serve", "--data", str(tmp_path / "data"), "--trusted-proxy", "10.0.0.0/33")
    assert r.returncode != 0 and "--trusted-proxy 10.0.0.0/33: prefix length must be 0–32 for IPv4" in r.stderr, r.stderr
    r = run_custos(custos_bin, "serve", "--data", str(tmp_path / "data"), "--trust-forwarded-for")
    assert r.returncode != 0 and "--trust-forwarded-for" in r.stderr, r.stderr
