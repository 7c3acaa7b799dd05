"""Shared fixtures for Custos's black-box end-to-end tests.

Everything here talks to the real `custos` binary from the outside: the command line, HTTP on
127.0.0.1 and the SQLite file on disk. Nothing leaves loopback (see ../shared/TESTING.md).

The binary is taken from $CUSTOS_BIN (default .build/debug/custos, relative to the repository
root). It runs with the repository root as working directory and CUSTOS_RESOURCES set, so it finds
Migrations/, Templates/ and Public/.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output"

# Every wait in these tests is bounded by one of these.
STARTUP_TIMEOUT = 30.0
HTTP_TIMEOUT = 15.0
CLI_TIMEOUT = 60.0


# --------------------------------------------------------------------------------------------
# The binary and the command line
# --------------------------------------------------------------------------------------------

def binary_path() -> Path:
    p = Path(os.environ.get("CUSTOS_BIN", ".build/debug/custos"))
    return p if p.is_absolute() else REPO / p


def custos_env() -> dict:
    env = dict(os.environ)
    env["CUSTOS_RESOURCES"] = str(REPO)
    return env


@pytest.fixture(scope="session")
def custos_bin() -> Path:
    p = binary_path()
    if not (p.is_file() and os.access(p, os.X_OK)):
        # Not a skip: `make test` builds the binary first, so its absence is a broken build.
        pytest.fail(f"custos binary not found at {p}; build it (swift build) or set CUSTOS_BIN")
    return p


def run_custos(custos_bin: Path, *args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs `custos ARGS…` to completion (bounded) and returns the completed process."""
    return subprocess.run([str(custos_bin), *args], cwd=REPO, env=custos_env(), capture_output=True,
                          text=True, timeout=timeout)


def custodian_cli(custos_bin: Path, custodian: dict, *args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs `custos custodian ARGS… --key KEYFILE` as the custodian does on its own device: the key file's
    passphrase from CUSTOS_KEY_PASSPHRASE, no terminal, nothing on standard input."""
    env = custos_env()
    env["CUSTOS_KEY_PASSPHRASE"] = custodian["passphrase"]
    return subprocess.run([str(custos_bin), "custodian", *args, "--key", custodian["key_file"]], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def init_data_dir(custos_bin: Path, data: Path) -> dict:
    """`custos init --data DATA --json`; returns {"username", "password"}."""
    r = run_custos(custos_bin, "init", "--data", str(data), "--json")
    assert r.returncode == 0, f"custos init failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"custos init --json should print exactly one JSON line, got:\n{r.stdout}"
    return json.loads(lines[0])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# A served instance
# --------------------------------------------------------------------------------------------

class Server:
    """`custos serve` on a free loopback port; `stop()` sends SIGTERM (then SIGKILL if it hangs)."""

    def __init__(self, custos_bin: Path, data: Path, log_dir: Path, command: str = "serve",
                 extra_args: tuple = (), extra_env: dict | None = None):
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"custos-{command}-{self.port}.log"
        self._log = open(self.log_path, "wb")
        if command == "serve" and "--disposition-hours" not in extra_args:
            # The daily disposition would otherwise dispose of the 2001 sample mail ten minutes in.
            extra_args = (*extra_args, "--disposition-hours", "0")
        self.proc = subprocess.Popen(
            [str(custos_bin), command, "--data", str(data), "--host", "127.0.0.1", "--port", str(self.port),
             *extra_args],
            cwd=REPO, env={**custos_env(), **(extra_env or {})}, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._wait_healthy()

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"custos {self.proc.args[1]} exited with {self.proc.returncode} before answering:\n{self.log()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                if resp.status == 200 and json.loads(body) == {"status": "ok"}:
                    return
                last = f"{resp.status} {body[:200]!r}"
            except (OSError, ValueError) as e:
                last = repr(e)
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"custos {self.proc.args[1]} did not answer /healthz within {STARTUP_TIMEOUT}s (last: {last}):\n{self.log()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()

    def client(self) -> "WebClient":
        return WebClient(self.port)


# The sample corpus `custos demo` captures (240 Enron mails, 158 Slack messages) and how long it may take.
DEMO_MESSAGES = 398
CAPTURE_TIMEOUT = 90.0


def start_demo(custos_bin: Path, base: Path, clock_offset: Path | None = None) -> tuple[Server, Path, dict]:
    """`custos demo` in base/data, returned once its sample corpus is captured and verifies:
    (server, data directory, credentials JSON). `clock_offset` names a CUSTOS_TEST_CLOCK_OFFSET_FILE."""
    data, creds_file = base / "data", base / "demo.json"
    env = {"CUSTOS_TEST_CLOCK_OFFSET_FILE": str(clock_offset)} if clock_offset else None
    server = Server(custos_bin, data, base, command="demo", extra_args=("--credentials", str(creds_file)), extra_env=env)
    try:
        deadline = time.monotonic() + CAPTURE_TIMEOUT
        report: dict = {}
        while time.monotonic() < deadline:
            r = run_custos(custos_bin, "verify", "--data", str(data), "--json")
            lines = [line for line in r.stdout.splitlines() if line.strip()]
            report = json.loads(lines[-1]) if lines else {"stderr": r.stderr}
            if report.get("messages") == DEMO_MESSAGES:
                break
            if not server.alive():
                pytest.fail(f"custos demo exited during capture:\n{server.log()}")
            time.sleep(0.5)
        assert report.get("ok") is True and report.get("messages") == DEMO_MESSAGES, \
            f"demo corpus not captured within {CAPTURE_TIMEOUT}s: {report}\n{server.log()}"
        return server, data, json.loads(creds_file.read_text())
    except BaseException:
        server.stop()
        raise


@pytest.fixture
def serve(custos_bin, tmp_path):
    """Factory: `serve(data_dir)` starts a server; every server started is stopped at teardown."""
    servers: list[Server] = []

    def start(data: Path) -> Server:
        s = Server(custos_bin, data, tmp_path)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def fresh(custos_bin, tmp_path):
    """A freshly initialised data directory: (path, {"username", "password"})."""
    data = tmp_path / "data"
    return data, init_data_dir(custos_bin, data)


# --------------------------------------------------------------------------------------------
# A tiny HTTP client with a cookie jar, no redirects followed
# --------------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str
    set_cookies: list = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def location_path(self) -> str | None:
        loc = self.headers.get("Location")
        return urllib.parse.urlsplit(loc).path if loc is not None else None

    def csrf(self) -> str:
        m = re.search(r'name="csrf"\s+value="([^"]*)"', self.body)
        assert m, f"no hidden csrf field in page ({self.status}):\n{self.body[:1500]}"
        return html.unescape(m.group(1))

    def element_text(self, element_id: str) -> str | None:
        m = re.search(r'<(\w+)[^>]*\bid="' + re.escape(element_id) + r'"[^>]*>(.*?)</\1>', self.body, re.S)
        return html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip() if m else None


class WebClient:
    """HTTP/1.1 to 127.0.0.1 with a cookie jar (name → value, path / only) and no redirects."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                send_cookies: bool = True) -> Response:
        h = {"Host": f"127.0.0.1:{self.port}", "Connection": "close"}
        if send_cookies and self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        set_cookies = resp.headers.get_all("Set-Cookie") or []
        for sc in set_cookies:
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            attrs = rest.lower()
            if value == "" or "max-age=0" in attrs.replace(" ", ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return Response(resp.status, resp.headers, raw.decode("utf-8", errors="replace"), set_cookies)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post_form(self, path: str, fields: dict | list, **kw) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        headers.update(kw.pop("headers", {}) or {})
        return self.request("POST", path, body=body, headers=headers, **kw)

    def submit(self, page_path: str, action: str, fields: dict, **kw) -> Response:
        """GETs the page holding a form, then POSTs `fields` plus its csrf token to `action`."""
        page = self.get(page_path)
        assert page.status == 200, f"GET {page_path} → {page.status}"
        return self.post_form(action, {"csrf": page.csrf(), **fields}, **kw)

    def sign_in(self, username: str, password: str) -> Response:
        return self.submit("/login", "/login", {"username": username, "password": password})


# --------------------------------------------------------------------------------------------
# TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s)
# --------------------------------------------------------------------------------------------

def totp(secret_b32: str, counter: int | None = None, at: float | None = None) -> str:
    key_text = re.sub(r"\s+", "", secret_b32).upper()
    key = base64.b32decode(key_text + "=" * (-len(key_text) % 8))
    if counter is None:
        counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def current_counter() -> int:
    return int(time.time() // 30)


# --------------------------------------------------------------------------------------------
# The database on disk
# --------------------------------------------------------------------------------------------

def db_path(data: Path) -> Path:
    return data / "custos.sqlite"


def open_db(data: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db_path(data)), timeout=10, isolation_level=None)
    return conn


# --------------------------------------------------------------------------------------------
# A data directory with a populated audit log (at least one checkpoint), built once per session
# --------------------------------------------------------------------------------------------

POPULATE_ATTEMPTS = 75


@pytest.fixture(scope="session")
def populated_data(custos_bin, tmp_path_factory) -> Path:
    """A stopped data directory whose audit log has well over 64 entries (so checkpoint 64 exists).

    Built through the front door: one real sign-in of the first administrator, then failed
    sign-ins over HTTP with the csrf double-submit flow, spread over many usernames and over
    client addresses (X-Forwarded-For, which this server believes because it names 127.0.0.1,
    where the test client connects from, as a trusted proxy), ten from each: under the
    per-address limit, so every one is answered and audited (login.failed). (Refusals past a
    limit are audited once per subject and window, so they would add few entries.) Tests copy
    this directory before touching it.
    """
    base = tmp_path_factory.mktemp("populated")
    data = base / "data"
    creds = init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, base, extra_args=("--trusted-proxy", "127.0.0.1/32"))
    try:
        c = server.client()
        r = c.sign_in(creds["username"], creds["password"])
        assert r.status == 303, f"first sign-in with the one-time password: {r.status}\n{r.body[:800]}"
        statuses = []
        for i in range(POPULATE_ATTEMPTS):
            anon = WebClient(server.port)
            r = anon.submit("/login", "/login", {"username": f"nobody{i:03d}", "password": "wrong password, definitely"},
                            headers={"X-Forwarded-For": f"192.0.2.{i // 10 + 1}"})
            statuses.append(r.status)
        bad = [s for s in statuses if s not in (200, 401, 403, 429)]
        # 403 would mean our csrf flow is broken, which would silently produce no audit entries.
        assert 403 not in statuses and not bad, f"unexpected statuses for failed sign-ins: {statuses}"
    finally:
        server.stop()
    conn = open_db(data)
    try:
        n = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        cps = [row[0] for row in conn.execute("SELECT seq FROM audit_checkpoints ORDER BY seq")]
    finally:
        conn.close()
    assert n >= 70, f"expected at least 70 audit entries after {POPULATE_ATTEMPTS} sign-in attempts, got {n}"
    assert 64 in cps, f"expected a signed checkpoint at entry 64; checkpoints: {cps}"
    return data


def copy_data(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
