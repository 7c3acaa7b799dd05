"""Stopping `custos serve` with SIGTERM, from the outside: a request in flight when the signal arrives still
gets its real answer, the process then exits 0 within seconds, and the data directory it leaves verifies with
the signed head at the log's last entry (the in-flight request's own audit entry) and no WAL beside the file.

The request is held in flight deterministically: a raw socket sends a sign-in's headers and half of its
form body, the signal follows, and only then the rest of the body. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.parse

from conftest import HTTP_TIMEOUT, Server, open_db, run_custos

# SIGTERM to exit, once the last answer is sent; the server's own stop takes milliseconds.
EXIT_WITHIN = 5.0


def read_response(sock: socket.socket) -> tuple[int, dict[str, list[str]], bytes]:
    """Reads an HTTP/1.1 answer sent with `Connection: close` to its end: (status, headers, body)."""
    raw = b""
    deadline = time.monotonic() + HTTP_TIMEOUT
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines and lines[0].startswith("HTTP/1.1 "), f"no HTTP answer: {raw[:300]!r}"
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(lines[0].split()[1]), headers, body


def test_sigterm_finishes_the_request_in_flight_then_exits_with_the_head_at_the_last_entry(custos_bin, fresh, tmp_path):
    data, creds = fresh
    server = Server(custos_bin, data, tmp_path)
    try:
        client = server.client()
        login = client.get("/login")
        assert login.status == 200
        body = urllib.parse.urlencode({"csrf": login.csrf(), "username": creds["username"],
                                       "password": creds["password"]}).encode()
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        request = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                   f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                   f"Cookie: {cookies}\r\nConnection: close\r\n\r\n").encode()
        half = len(body) // 2

        with socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT) as sock:
            sock.sendall(request + body[:half])
            time.sleep(0.3)  # the server has read the request's head: the request is in flight
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.proc.poll() is None, f"the server exited with a request in flight:\n{server.log()}"
            # Draining: no new connection is accepted meanwhile.
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
                accepted = True
            except OSError:
                accepted = False
            assert not accepted, "a stopping server still accepts connections"

            sock.sendall(body[half:])
            status, headers, _ = read_response(sock)
            answered = time.monotonic()
        # The one-time password signs in (then must be changed): a real answer, with a session.
        assert status == 303, f"in-flight sign-in answered {status}:\n{server.log()}"
        assert any(c.startswith("custos_session=") and not c.startswith("custos_session=;") for c in headers.get("set-cookie", [])), \
            f"no session cookie in {headers.get('set-cookie')}"

        rc = server.proc.wait(timeout=EXIT_WITHIN + 5)
        took = time.monotonic() - answered
        assert rc == 0, f"custos serve exited {rc} on SIGTERM:\n{server.log()}"
        assert took < EXIT_WITHIN, f"custos serve took {took:.2f}s to exit after its last answer"
        print(f"custos serve exited {took * 1000:.0f} ms after its last answer")
    finally:
        server.stop()

    # Before anything else opens the file (a reader would create a WAL of its own).
    assert not (data / "custos.sqlite-wal").exists(), "the database was not closed: its WAL is still there"
    conn = open_db(data)
    try:
        last_seq, last_action = conn.execute("SELECT seq, action FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    head = json.loads((data / "audit-head.json").read_text())
    assert last_action == "login.succeeded", f"the in-flight sign-in is not the log's last entry ({last_action})"
    assert head["seq"] == last_seq, f"head file says {head['seq']}, the log ends at {last_seq}"
    r = run_custos(custos_bin, "verify", "--data", str(data), "--json")
    report = json.loads([line for line in r.stdout.splitlines() if line.strip()][-1])
    assert r.returncode == 0 and report["ok"] is True and report["entries"] == last_seq, f"{report}\n{r.stderr}"
