"""Helpers shared by the resilience tests (load, fuzz): real sealed ingest batches made by `custos capture`."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import REPO, custos_env


def record_batches(custos_bin: Path, server_port: int, token: str, tmp: Path, messages: int, batch_size: int,
                   platform: str = "teams", trust: str = "") -> list[bytes]:
    """Sealed ingest batches made by `custos capture`, kept (not stored) by a recorder."""
    batches: list[bytes] = []

    class Recorder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _send(self, status: int, body: bytes):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=30)
            conn.request("GET", self.path)
            r = conn.getresponse()
            self._send(r.status, r.read())
            conn.close()

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            batches.append(body)
            uids = [m["uid"] for m in json.loads(body)["messages"]]
            self._send(200, json.dumps({"results": [{"uid": u, "status": "stored", "id": 1} for u in uids]}).encode())

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    corpus = tmp / f"recorded-{platform}.jsonl"
    with corpus.open("w") as f:
        for i in range(messages):
            f.write(json.dumps({"uid": f"{platform}-rec-{i}", "platform": platform, "conversation": f"team-{i % 40}",
                                "sent_at": 1_700_000_000 + i * 61,
                                "from": {"address": f"user{i % 30}@load.example"},
                                "to": [{"address": f"peer{i % 17}@load.example"}], "text": f"load {i}"}) + "\n")
    try:
        r = subprocess.run([str(custos_bin), "capture", "--server", f"http://127.0.0.1:{httpd.server_address[1]}",
                            "--token", token, "--trust", trust, "--trust-state", str(tmp / f"trust-{platform}.json"),
                            "--format", "jsonl", "--batch-size", str(batch_size), str(corpus)],
                           cwd=REPO, env=custos_env(), capture_output=True, text=True, timeout=120)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(batches) == -(-messages // batch_size)
    return batches
