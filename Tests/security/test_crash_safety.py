"""Crash safety: `kill -9` the server several times while a large `custos capture` is uploading.

Set-up from the command line: `custos demo --no-sample` makes an archive with a 2-of-3 key, three
custodians and a capture token (and is stopped again), then `custos serve` serves it.

"Acknowledged" is defined exactly: `custos capture` talks to the server through a small recording
proxy of ours on loopback. A message counts as acknowledged as stored when the proxy received the
server's complete 200 answer to the batch holding it, with `"status": "stored"` and its id, before
the kill. The proxy keeps its port across restarts, so capture's own retries (connection refused,
5xx) carry it over a restart; if capture gives up (exit 2), it is simply started again.

After every kill, with the server dead, a copy of the data directory as the crash left it is
checked (the server restarts on the original, its WAL untouched): integrity, every acknowledged
message present with the id it was acknowledged with, no half-stored message (each `messages` row
has its envelope and exactly its two participant rows, no orphan envelope or participant), the
per-month counts agree with the rows; `custos verify` runs on each copy at the end. Finally
capture runs to completion, the count equals the number of distinct messages, `custos verify`
passes, and a re-run reports only duplicates.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import REPO, Server, custos_env, open_db, run_custos

DISTINCT = 24_000          # distinct messages in the synthetic JSON-lines capture
REPEATS = 300              # lines repeated verbatim (same uid): counted as duplicates, stored once
KILLS = 5
CAPTURE_RUN_TIMEOUT = 240.0
TEST_DEADLINE = 300.0


def write_corpus(path: Path) -> int:
    """DISTINCT messages plus REPEATS verbatim repeats; returns the number of lines."""
    lines = []
    for i in range(DISTINCT):
        lines.append(json.dumps({
            "uid": f"crash-{i:06d}", "platform": "sms", "conversation": f"conv-{i % 211}",
            "sent_at": 1_600_000_000 + i * 37,
            "from": {"address": f"sender{i % 53}@example.com", "name": f"Sender {i % 53}"},
            "to": [{"address": f"rcpt{i % 47}@example.org"}],
            "text": f"message {i} " + "x" * (i % 300),
        }, separators=(",", ":")))
    rng = random.Random(7)
    lines += [lines[rng.randrange(DISTINCT)] for _ in range(REPEATS)]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


class RecordingProxy:
    """HTTP/1.1 proxy on 127.0.0.1 to the current upstream port; records every 200 ingest answer."""

    def __init__(self):
        self.upstream: int | None = None
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {}        # uid -> id, answered "stored"
        self.acked_dup: set[str] = set()       # uids answered "duplicate"
        self.in_flight = 0
        self.posts_done = 0
        self.failed_forwards = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _forward(self):
                body = self._body()
                is_ingest = self.command == "POST" and self.path == "/api/v1/messages"
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "transfer-encoding", "content-length")}
                with proxy.lock:
                    port = proxy.upstream
                    if is_ingest:
                        proxy.in_flight += 1
                try:
                    status, rheaders, rbody = 502, {}, b'{"error":"upstream unreachable"}'
                    if port is not None:
                        try:
                            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                            conn.request(self.command, self.path, body=body or None,
                                         headers={**headers, "Connection": "close"})
                            resp = conn.getresponse()
                            rbody = resp.read()
                            status, rheaders = resp.status, dict(resp.getheaders())
                            conn.close()
                        except (OSError, http.client.HTTPException):
                            status, rheaders, rbody = 502, {}, b'{"error":"upstream unreachable"}'
                            with proxy.lock:
                                proxy.failed_forwards += 1
                    if is_ingest and status == 200:
                        results = json.loads(rbody)["results"]
                        with proxy.lock:
                            for r in results:
                                if r["status"] == "stored":
                                    proxy.acked[r["uid"]] = r["id"]
                                elif r["status"] == "duplicate":
                                    proxy.acked_dup.add(r["uid"])
                            proxy.posts_done += 1
                finally:
                    if is_ingest:
                        with proxy.lock:
                            proxy.in_flight -= 1
                self.send_response(status)
                for k, v in rheaders.items():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(rbody)))
                self.end_headers()
                self.wfile.write(rbody)

            do_GET = _forward
            do_POST = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> tuple[dict, int]:
        with self.lock:
            return dict(self.acked), self.posts_done

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def check_crash_image(data: Path, acked: dict[str, int]) -> dict:
    """What must hold in the database exactly as a kill left it. Returns figures for the report."""
    conn = open_db(data)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = dict(conn.execute("SELECT uid, id FROM messages"))
        missing = [u for u in acked if u not in rows]
        assert not missing, f"{len(missing)} acknowledged messages lost by the kill, e.g. {missing[:5]}"
        moved = [u for u, i in acked.items() if rows[u] != i]
        assert not moved, f"acknowledged ids changed: {[(u, acked[u], rows[u]) for u in moved[:5]]}"
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        no_env = q("SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM envelopes e WHERE e.message_id = m.id)")
        orphan_env = q("SELECT count(*) FROM envelopes e WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = e.message_id)")
        bad_parts = q("SELECT count(*) FROM messages m WHERE (SELECT count(*) FROM message_participants p "
                      "WHERE p.message_id = m.id) != 2")
        orphan_parts = q("SELECT count(*) FROM message_participants p WHERE NOT EXISTS "
                         "(SELECT 1 FROM messages m WHERE m.id = p.message_id)")
        counted = q("SELECT coalesce(sum(count), 0) FROM message_counts")
        assert (no_env, orphan_env, bad_parts, orphan_parts) == (0, 0, 0, 0), \
            f"half-stored messages: without envelope {no_env}, orphan envelopes {orphan_env}, " \
            f"wrong participant rows {bad_parts}, orphan participants {orphan_parts}"
        assert counted == len(rows), f"message_counts says {counted}, messages has {len(rows)}"
        return {"stored": len(rows), "acked": len(acked)}
    finally:
        conn.close()


def kill9(server: Server) -> None:
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    server.stop()  # only closes the log now


def start_capture(custos_bin: Path, proxy_port: int, token: str, corpus: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(custos_bin), "capture", "--server", f"http://127.0.0.1:{proxy_port}", "--trust-state", str(log.parent / "trust.json"),
         "--format", "jsonl", str(corpus)],
        cwd=REPO, env={**custos_env(), "CUSTOS_CAPTURE_TOKEN": token},
        stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def last_line(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def test_kill_9_during_capture_loses_nothing_acknowledged(custos_bin, tmp_path, monkeypatch):
    started = time.monotonic()
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"\ncrash-safety seed {seed} (CRASH_SEED={seed} repeats the kill timing choices)")

    # An archive ready to capture into, set up from the command line, then stopped.
    data, creds_file = tmp_path / "data", tmp_path / "demo.json"
    demo = Server(custos_bin, data, tmp_path, command="demo", extra_args=("--no-sample", "--credentials", str(creds_file)))
    deadline = time.monotonic() + 60  # the credentials follow the custodians' key ceremony
    while not creds_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    demo.stop()
    creds = json.loads(creds_file.read_text())
    token = creds["capture_token"]
    monkeypatch.setenv("CUSTOS_ARCHIVE_TRUST", creds["archive_trust"])
    corpus = tmp_path / "big.jsonl"
    total_lines = write_corpus(corpus)

    proxy = RecordingProxy()
    server = Server(custos_bin, data, tmp_path)
    proxy.upstream = server.port
    capture_log = tmp_path / "capture.log"
    capture = start_capture(custos_bin, proxy.port, token, corpus, capture_log)
    capture_runs, capture_exits = 1, []
    images: list[Path] = []
    kills: list[dict] = []
    try:
        for k in range(KILLS):
            # A random moment while batches are moving: wait for an upload in flight (or a random
            # pause after restart), then a random delay of up to 1.5 s. Each kill also comes before
            # capture has stored its share of the corpus (kill k by (k+1)/(KILLS+1) of it), so a
            # faster server or machine cannot finish the capture before the kills are done.
            limit = DISTINCT * (k + 1) // (KILLS + 1)

            def wait(seconds: float, until_in_flight: bool = False) -> None:
                end = time.monotonic() + seconds
                while time.monotonic() < end and len(proxy.acked) < limit and capture.poll() is None:
                    if until_in_flight and proxy.in_flight:
                        return
                    time.sleep(0.005)

            if rng.random() < 0.7:
                wait(60, until_in_flight=True)
            else:
                wait(rng.uniform(0.5, 3.0))
            wait(rng.uniform(0.0, 1.5))
            if capture.poll() is not None and capture.returncode == 0:
                break
            in_flight = proxy.in_flight
            kill9(server)
            proxy.upstream = None
            acked, posts = proxy.snapshot()  # nothing more can be acknowledged: the server is dead
            # Copy the crash image first and check the copy: the restarted server must find the data
            # directory exactly as the kill left it (its WAL not yet recovered by anyone else).
            image = tmp_path / f"crash-image-{k + 1}"
            shutil.copytree(data, image)
            figures = check_crash_image(image, acked)
            images.append(image)
            kills.append({"kill": k + 1, "at_s": round(time.monotonic() - started, 1), "uploads_in_flight": in_flight,
                          "acked_batches": posts, **figures})
            print(f"kill -9 #{k + 1}: {kills[-1]}")
            server = Server(custos_bin, data, tmp_path)
            proxy.upstream = server.port
            if capture.poll() is not None:  # capture gave up during the outage (exit 2): start it again
                capture_exits.append(capture.returncode)
                capture = start_capture(custos_bin, proxy.port, token, corpus, capture_log)
                capture_runs += 1

        assert len(kills) == KILLS, f"capture finished after {len(kills)} of {KILLS} kills ({kills})"

        # Let capture finish; start it again while it gives up (bounded).
        while True:
            remaining = max(1.0, TEST_DEADLINE - (time.monotonic() - started))
            capture.wait(timeout=min(CAPTURE_RUN_TIMEOUT, remaining))
            capture_exits.append(capture.returncode)
            if capture.returncode == 0:
                break
            assert capture.returncode == 2 and capture_runs < 6, \
                f"capture exited {capture.returncode}:\n{capture_log.read_text()[-3000:]}"
            capture = start_capture(custos_bin, proxy.port, token, corpus, capture_log)
            capture_runs += 1
        completed = last_line(capture_log)
        print(f"capture runs {capture_runs}, exits {capture_exits}, last: {completed}")

        acked, posts = proxy.snapshot()
        final = check_crash_image(data, acked)
        assert final["stored"] == DISTINCT, f"{final['stored']} messages stored, {DISTINCT} distinct captured"
        assert len(acked) <= DISTINCT

        # A re-run against the server itself stores nothing new.
        rerun = run_custos(custos_bin, "capture", "--server", server.base, "--token", token, "--trust-state",
                           str(tmp_path / "trust.json"), "--format", "jsonl", str(corpus), timeout=CAPTURE_RUN_TIMEOUT)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        summary = [ln for ln in rerun.stdout.splitlines() if ln.strip()][-1]
        assert summary == f"captured 0, duplicates {total_lines}, rejected 0", summary
    finally:
        if capture.poll() is None:
            os.killpg(capture.pid, signal.SIGKILL)
            capture.wait(timeout=10)
        server.stop()
        proxy.close()

    # The archive as served and every crash image verify offline (audit chain, envelopes, ingest records).
    for d in [data, *images]:
        r = run_custos(custos_bin, "verify", "--data", str(d), "--json")
        report = json.loads([ln for ln in r.stdout.splitlines() if ln.strip()][-1]) if r.stdout.strip() else {}
        assert r.returncode == 0 and report.get("ok") is True, f"custos verify {d.name}: {r.stdout}{r.stderr}"
        print(f"verify {d.name}: {report}")
    print(f"acknowledged stored {len(acked)} of {DISTINCT}; answered duplicate (stored by an unacknowledged try or an earlier run) "
          f"{len(proxy.acked_dup)}; final stored {final['stored']}; failed forwards during outages {proxy.failed_forwards}; "
          f"re-run: {summary}; {time.monotonic() - started:.1f} s")
