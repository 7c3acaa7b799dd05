"""Load: 50 concurrent signed-in users for exactly 60 s against `custos demo` (398 sample messages).

Each user is a thread with its own session (auditor or legal, signed in through the real form with
its csrf token) and its own keep-alive connection. Users loop over a mix: searches (GET /search with
varied parameters, each audited), message pages, conversation pages, saving a search (a POST with
csrf) and captures (POST /api/v1/messages with a capture token). The capture batches are real
sealed batches made by `custos capture` itself beforehand: it ran against a recorder of ours that
fetched the archive key from the server but kept the batches instead of storing them, so during
the run every batch is new to the archive and is really stored.

Users pause between requests (think time 0.1–0.5 s, as people do); the figures below are measured
from request sent to last byte read. Every answer must be the expected 2xx/3xx: zero errors.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
import urllib.parse

from conftest import WebClient, open_db, start_demo
from resilience_support import record_batches

USERS = 50
DURATION = 60.0
THINK = (0.1, 0.5)
CAPTURE_MESSAGES = 6_000
CAPTURE_BATCH = 20
BASELINE = 10.0   # one user alone, no think time, before the load: the unloaded latency, same run
# The goal is p99 < 200 ms. Measured on this shared 2-core machine with the debug build and the
# 50-thread client on the same cores (2026-12-02, four runs, two of them inside a whole `make test`):
# 159-164 requests/s (the users' think time is the limit, not the server), p50 11-19 ms, p95 36-62 ms,
# p99 55, 72, 103 and 64 ms; one user alone in the same run p99 21-22 ms. Before the search page's speed
# work (issue 4) the server saturated at 20-50 requests/s here and p99 was 1.6-4.1 s. The test fails
# at twice the goal: one run used half the goal's room, and a busier CI machine must not turn
# noise into a red run; the printed p99 is what the goal is judged by.
P99_GOAL_MS = 200.0
P99_BOUND_MS = 2 * P99_GOAL_MS


class User(threading.Thread):
    def __init__(self, n: int, port: int, cookie: str, csrf_page: str, targets: dict, batches: list, lock, rng_seed: int,
                 stop_at: float, token: str, used: list, think: tuple = THINK):
        super().__init__(daemon=True)
        self.think = think
        self.used = used
        self.n, self.port, self.cookie, self.targets = n, port, cookie, targets
        self.batches, self.lock, self.stop_at, self.token = batches, lock, stop_at, token
        self.rng = random.Random(rng_seed)
        self.samples: list[tuple[str, float, int]] = []   # (kind, seconds, status)
        self.errors: list[str] = []
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, dict]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, data, dict(r.getheaders())
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # A keep-alive connection the server closed while idle: reconnect once (not counted).
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise e
        raise AssertionError("unreachable")

    def timed(self, kind: str, method: str, path: str, expect: tuple, body: bytes | None = None, headers: dict | None = None):
        t0 = time.perf_counter()
        try:
            status, data, h = self._request(method, path, body, headers)
        except Exception as e:  # noqa: BLE001 - any transport failure is an error of the run
            self.samples.append((kind, time.perf_counter() - t0, 0))
            self.errors.append(f"{kind} {method} {path[:80]}: {e!r}")
            return None
        dt = time.perf_counter() - t0
        self.samples.append((kind, dt, status))
        if status not in expect:
            self.errors.append(f"{kind} {method} {path[:80]} -> {status}: {data[:200]!r}")
            return None
        return data

    def run(self):
        browser = {"Cookie": self.cookie}
        t = self.targets
        while time.monotonic() < self.stop_at:
            x = self.rng.random()
            if x < 0.40:
                q = self.rng.choice(t["searches"])
                self.timed("search", "GET", "/search?" + urllib.parse.urlencode(q), (200,), headers=browser)
            elif x < 0.70:
                self.timed("message", "GET", f"/messages/{self.rng.choice(t['message_ids'])}", (200,), headers=browser)
            elif x < 0.82:
                self.timed("conversation", "GET", self.rng.choice(t["conversations"]), (200,), headers=browser)
            elif x < 0.86:
                page = self.timed("search", "GET", "/search?platform=email", (200,), headers=browser)
                if page is not None:
                    csrf = page.decode().split('name="csrf" value="', 1)[1].split('"', 1)[0]
                    form = urllib.parse.urlencode({"csrf": csrf, "name": f"load {self.n} {self.rng.random():.6f}",
                                                   "platform": "email"}).encode()
                    self.timed("save-search", "POST", "/search/saved", (303,), body=form,
                               headers={**browser, "Content-Type": "application/x-www-form-urlencoded"})
            else:
                # A new batch while there are any; then a re-sent one, which must be all duplicates.
                with self.lock:
                    fresh = bool(self.batches)
                    batch = self.batches.pop() if fresh else self.rng.choice(self.used)
                    if fresh:
                        self.used.append(batch)
                data = self.timed("capture", "POST", "/api/v1/messages", (200,), body=batch, headers={
                    "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
                if data is not None:
                    want = "stored" if fresh else "duplicate"
                    bad = [r for r in json.loads(data)["results"] if r["status"] != want]
                    if bad:
                        self.errors.append(f"capture: expected {want}: {bad[:3]}")
            time.sleep(self.rng.uniform(*self.think))
        if self.conn is not None:
            self.conn.close()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def test_fifty_users_for_sixty_seconds(custos_bin, tmp_path):
    server, data, creds = start_demo(custos_bin, tmp_path)
    try:
        token = creds["capture_token"]
        batches = record_batches(custos_bin, server.port, token, tmp_path, CAPTURE_MESSAGES, CAPTURE_BATCH,
                                 trust=creds["archive_trust"])
        conn = open_db(data)
        try:
            message_ids = [r[0] for r in conn.execute("SELECT id FROM messages ORDER BY id")]
        finally:
            conn.close()
        readers = [u for u in creds["users"] if u["roles"][0] in ("auditor", "legal")]
        # Sign 50 sessions in through the form (csrf double submit), as 50 browsers would.
        cookies = []
        for i in range(USERS):
            u = readers[i % len(readers)]
            c = WebClient(server.port)
            r = c.sign_in(u["username"], u["password"])
            assert r.status == 303, f"sign-in {i} as {u['username']}: {r.status} {r.body[:300]}"
            cookies.append("; ".join(f"{k}={v}" for k, v in c.cookies.items()))
        probe = WebClient(server.port)
        probe.cookies = dict(kv.split("=", 1) for kv in cookies[0].split("; "))
        page = probe.get("/search?platform=email").body + probe.get("/search?platform=slack").body
        conversations = sorted(set(__import__("re").findall(r'href="(/conversations/[0-9a-f]{64})"', page)))
        if not conversations:
            msg = probe.get(f"/messages/{message_ids[0]}").body
            conversations = __import__("re").findall(r'href="(/conversations/[0-9a-f]{64})"', msg)
        assert conversations, "no conversation links found on search or message pages"
        targets = {
            "message_ids": message_ids, "conversations": conversations,
            "searches": [{"platform": "email"}, {"platform": "slack"}, {"domain": "enron.com"},
                         {"after": "2001-01-01", "before": "2001-12-31"}, {"attachments": "yes"},
                         {"participant": "kenneth.lay@enron.com"}, {"platform": "email", "domain": "enron.com", "part": "from"}],
        }
        lock, used = threading.Lock(), []
        base_user = User(999, server.port, cookies[0], "/search", targets, batches, lock, 999,
                         time.monotonic() + BASELINE, token, used, think=(0.0, 0.0))
        base_user.run()
        assert not base_user.errors, base_user.errors[:10]
        base = [s[1] for s in base_user.samples]
        start = time.monotonic()
        stop_at = start + DURATION
        users = [User(i, server.port, cookies[i], "/search", targets, batches, lock, 1000 + i, stop_at, token, used)
                 for i in range(USERS)]
        for u in users:
            u.start()
        for u in users:
            u.join(timeout=DURATION + 40)
        elapsed = time.monotonic() - start
        assert not any(u.is_alive() for u in users), "a user thread did not finish"
        samples = [s for u in users for s in u.samples]
        errors = [e for u in users for e in u.errors]
        assert server.alive(), f"server died under load:\n{server.log()}"
    finally:
        server.stop()

    lat = [s[1] for s in samples]
    by_kind: dict[str, list[float]] = {}
    for kind, dt, _ in samples:
        by_kind.setdefault(kind, []).append(dt)
    figures = {
        "users": USERS, "duration_s": round(elapsed, 1), "requests": len(samples),
        "req_per_s": round(len(samples) / elapsed, 1), "errors": len(errors),
        "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1), "p99_ms": round(pct(lat, 99), 1),
        "mean_ms": round(statistics.mean(lat) * 1000, 1),
        "captured_batches": len([s for s in samples if s[0] == "capture"]),
    }
    figures["baseline_one_user"] = {"requests": len(base), "p50_ms": round(pct(base, 50), 1),
                                    "p99_ms": round(pct(base, 99), 1)}
    figures["p99_ratio_to_baseline"] = round(figures["p99_ms"] / max(pct(base, 99), 0.001), 1)
    figures["p99_goal_ms"], figures["p99_goal_met"] = P99_GOAL_MS, figures["p99_ms"] < P99_GOAL_MS
    print("\nload:", json.dumps(figures))
    for kind, v in sorted(by_kind.items()):
        print(f"  {kind:13s} n={len(v):5d}  p50={pct(v, 50):7.1f} ms  p95={pct(v, 95):7.1f} ms  p99={pct(v, 99):7.1f} ms")
    assert not errors, f"{len(errors)} errors under load, e.g.:\n" + "\n".join(errors[:20])
    assert len(samples) >= USERS * 20, f"only {len(samples)} requests in {elapsed:.0f} s"
    assert figures["p99_ms"] < P99_BOUND_MS, f"p99 {figures['p99_ms']} ms ≥ {P99_BOUND_MS} ms: {figures}"
