"""Sign-in under abuse, over real HTTP against `custos serve` (issue 18, sign-in and approvals).

Each test gets a fresh data directory and its own server, started with --trusted-proxy 127.0.0.1/32 so
that a test can play several client addresses from 127.0.0.1 by sending X-Forwarded-For (documentation
addresses only; nothing leaves loopback). The first administrator made by `custos init` is the account
under attack: its one-time password is replaced and, where a test needs it, TOTP is enrolled through the
pages as a person would.

- A TOTP brute-force by someone who has the password locks the account within 10 guesses, however the
  guesses are spread over fresh password sign-ins, and the right password and code are refused then.
- A burst of 200 parallel wrong sign-ins (threads) records at most the limit of failures.
- Wrong passwords from one address leave the owner able to sign in from another.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Server, WebClient, current_counter, init_data_dir, open_db, totp

PASSWORD = "a long passphrase nobody guesses"
LIMIT = 5            # failed passwords per account and address (and wrong codes per account) in 15 minutes
MAX_GUESSES = 10
BURST = 200
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.23"


def forwarded(address: str) -> dict:
    return {"X-Forwarded-For": address}


def sign_in(port: int, username: str, password: str, address: str | None = None) -> tuple[WebClient, object]:
    """A fresh browser signs in from `address` (X-Forwarded-For) or 127.0.0.1; returns it and the answer."""
    c = WebClient(port)
    r = c.submit("/login", "/login", {"username": username, "password": password},
                 headers=forwarded(address) if address else None)
    return c, r


@pytest.fixture
def admin(custos_bin, tmp_path):
    """A served data directory whose first administrator has chosen PASSWORD: (server, username, client)."""
    data = tmp_path / "data"
    creds = init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, tmp_path, extra_args=("--trusted-proxy", "127.0.0.1/32"))
    try:
        c, r = sign_in(server.port, creds["username"], creds["password"])
        assert r.status == 303 and r.location_path == "/account/password", f"{r.status} {r.body[:500]}"
        r = c.submit("/account/password", "/account/password", {
            "current_password": creds["password"], "new_password": PASSWORD, "confirm_password": PASSWORD})
        assert r.status == 303 and r.location_path == "/account/totp", f"{r.status} {r.body[:500]}"
        yield server, creds["username"], c
    finally:
        server.stop()


def enrol_totp(c: WebClient) -> str:
    """Enrols TOTP for the signed-in administrator through /account/totp; returns the base32 secret."""
    page = c.get("/account/totp")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.body).group(1).replace(" ", "")
    enrolment = re.search(r'name="enrolment" value="([0-9a-f]+)"', page.body).group(1)
    r = c.post_form("/account/totp", {"csrf": page.csrf(), "enrolment": enrolment, "code": totp(secret)})
    assert r.status == 303, f"TOTP enrolment: {r.status} {r.body[:500]}"
    return secret


def wrong_codes(secret: str):
    """Six-digit codes the server accepts at no step near now."""
    near = {totp(secret, counter=current_counter() + d) for d in range(-2, 3)}
    n = 0
    while True:
        code = f"{(123_457 + n * 7_919) % 1_000_000:06d}"
        n += 1
        if code not in near:
            yield code


def count(data, sql: str, *args) -> int:
    conn = open_db(data)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def test_totp_brute_force_locks_within_ten_guesses(admin):
    server, username, c = admin
    secret = enrol_totp(c)
    codes = wrong_codes(secret)
    guesses, locked_at = 0, None
    # The attacker has the password and signs in afresh after every four codes, which once reset the count.
    while guesses < MAX_GUESSES and locked_at is None:
        b, r = sign_in(server.port, username, PASSWORD)
        if r.status == 429:
            locked_at = guesses
            break
        assert r.status == 303 and r.location_path == "/login/totp", f"{r.status} {r.body[:300]}"
        page = b.get("/login/totp")
        for _ in range(min(4, MAX_GUESSES - guesses)):
            r = b.post_form("/login/totp", {"csrf": page.csrf(), "code": next(codes)})
            guesses += 1
            if r.status == 429:
                locked_at = guesses
                assert r.header("Retry-After"), "a lock says when to try again"
                break
            assert r.status == 401, f"guess {guesses}: {r.status} {r.body[:300]}"
    assert locked_at is not None and locked_at <= MAX_GUESSES, f"not locked after {guesses} guesses"
    assert locked_at == LIMIT
    # Locked: the right password and the right code get nowhere either, and no session waits at the TOTP step.
    b, r = sign_in(server.port, username, PASSWORD)
    assert r.status == 429 and "Sign-in is paused for this account" in r.body
    assert count(server.data, "SELECT count(*) FROM sessions WHERE stage = 'totp'") == 0
    assert count(server.data, "SELECT count(*) FROM audit_events WHERE action = 'login.totp_failed'") == LIMIT


def test_a_burst_of_parallel_wrong_sign_ins_records_at_most_the_limit(admin):
    server, username, _ = admin
    clients = [WebClient(server.port) for _ in range(BURST)]
    pages = [c.get("/login") for c in clients]
    start = threading.Barrier(BURST)

    def attempt(i: int) -> int:
        start.wait(timeout=30)
        return clients[i].post_form("/login", {"csrf": pages[i].csrf(), "username": username,
                                               "password": f"wrong password {i}"}, headers=forwarded(ATTACKER)).status

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(attempt, range(BURST)))
    assert set(statuses) <= {401, 429}, f"unexpected answers: {sorted(set(statuses))}"
    failed = count(server.data, "SELECT count(*) FROM audit_events WHERE action = 'login.failed' AND actor = ?", username)
    print(f"\n{BURST} parallel wrong sign-ins: {statuses.count(429)} answered 429, {failed} failures recorded")
    assert failed <= LIMIT
    assert statuses.count(429) >= BURST - LIMIT
    # One throttle entry for the whole burst, not one per refused attempt.
    assert count(server.data, "SELECT count(*) FROM audit_events WHERE action = 'login.throttled'") == 1
    assert count(server.data, "SELECT count(*) FROM login_failures") <= 3 * LIMIT


def test_lockout_abuse_from_one_address_leaves_the_owner_able_to_sign_in_from_another(admin):
    server, username, _ = admin
    statuses = [sign_in(server.port, username, f"guess {i}", ATTACKER)[1].status for i in range(3 * LIMIT)]
    assert statuses[:LIMIT - 1] == [401] * (LIMIT - 1) and set(statuses[LIMIT - 1:]) == {429}, statuses
    # From the attacker's address the account is paused, even for the right password ...
    _, r = sign_in(server.port, username, PASSWORD, ATTACKER)
    assert r.status == 429 and "from this address" in r.body
    # ... but the owner elsewhere waits at most the short delay the account imposes, then signs in.
    for _ in range(2):
        _, r = sign_in(server.port, username, PASSWORD, OWNER)
        if r.status != 429:
            break
        retry = r.header("Retry-After")
        assert retry, f"the owner is locked out, with no wait that ends: {r.body[:300]}"
        wait = int(retry)
        assert wait <= 60, f"the owner would wait {wait} s"
        time.sleep(wait + 0.2)
    assert r.status == 303 and r.location_path == "/account/totp", f"{r.status} {r.body[:300]}"
