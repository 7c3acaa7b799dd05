"""`GET /metrics` (issue 19) scraped by a real Prometheus (Debian's `prometheus`), over real HTTP.

The server answers /metrics only to connections from a `--metrics-from` network, and to nobody without one.
A Prometheus of the test's own, with its own configuration and data in a temporary directory, scrapes it
every second on loopback; its query API must then give the request rate as a number. Nothing leaves
loopback. `make deps-test` installs prometheus; without the binary the scrape test skips and says so.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import Server, WebClient, free_port, init_data_dir, run_custos

SCRAPE_TIMEOUT = 30.0   # for Prometheus to start, scrape and answer the rate
RATE_QUERY = "sum(rate(custos_http_requests_total[30s]))"


def test_metrics_answer_404_without_an_allow_list(custos_bin, tmp_path):
    data = tmp_path / "data"
    init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, tmp_path)
    try:
        r = WebClient(server.port).get("/metrics")
        assert r.status == 404 and "custos_" not in r.body, f"{r.status} {r.body[:300]}"
    finally:
        server.stop()


def test_metrics_answer_404_to_a_peer_outside_the_list(custos_bin, tmp_path):
    data = tmp_path / "data"
    init_data_dir(custos_bin, data)
    # 127.0.0.1 is a trusted proxy and names an allowed client: the connection's own peer still decides.
    server = Server(custos_bin, data, tmp_path,
                    extra_args=("--metrics-from", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1/32"))
    try:
        r = WebClient(server.port).get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
        assert r.status == 404 and "custos_" not in r.body, f"{r.status} {r.body[:300]}"
    finally:
        server.stop()


def test_a_bad_metrics_network_is_refused_at_start(custos_bin, tmp_path):
    r = run_custos(custos_bin, "serve", "--data", str(tmp_path / "data"), "--metrics-from", "127.0.0.1/33")
    assert r.returncode != 0 and "--metrics-from 127.0.0.1/33: prefix length must be 0–32 for IPv4" in r.stderr, r.stderr


def test_an_allowed_peer_reads_prometheus_text(custos_bin, tmp_path):
    data = tmp_path / "data"
    init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, tmp_path, extra_args=("--metrics-from", "127.0.0.1/32"))
    try:
        client = WebClient(server.port)
        assert client.get("/requests/987654321?q=zebraquery").status == 303
        r = client.get("/metrics")
        assert r.status == 200 and r.header("Content-Type").startswith("text/plain; version=0.0.4"), r.header("Content-Type")
        assert 'custos_http_requests_total{route="/requests/{id}",method="GET",status="303"} 1' in r.body, r.body[:2000]
        assert "custos_grants_live 0" in r.body and "custos_requests_pending 0" in r.body
        assert "987654321" not in r.body and "zebraquery" not in r.body
    finally:
        server.stop()


class Prometheus:
    """A Prometheus of the test's own on a free loopback port, scraping `target` every second."""

    def __init__(self, binary: str, target: str, workdir):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: custos\n"
            "    metrics_path: /metrics\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        self.log_path = workdir / "prometheus.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            cwd=workdir, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def get_json(self, path: str) -> dict:
        with urllib.request.urlopen(self.base + path, timeout=5) as resp:
            return json.loads(resp.read())

    def query(self, expression: str) -> dict:
        return self.get_json("/api/v1/query?" + urllib.parse.urlencode({"query": expression}))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def test_a_real_prometheus_scrapes_metrics_and_answers_the_request_rate(custos_bin, tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus binary is not installed (`make deps-test` installs Debian's prometheus)")
    data = tmp_path / "data"
    init_data_dir(custos_bin, data)
    server = Server(custos_bin, data, tmp_path, extra_args=("--metrics-from", "127.0.0.1/32"))
    prom_dir = tmp_path / "prometheus"
    prom_dir.mkdir()
    prometheus = Prometheus(binary, f"127.0.0.1:{server.port}", prom_dir)
    try:
        client = WebClient(server.port)
        deadline = time.monotonic() + SCRAPE_TIMEOUT
        answer, last = None, None
        while time.monotonic() < deadline and answer is None:
            assert prometheus.proc.poll() is None, f"prometheus exited with {prometheus.proc.returncode}:\n{prometheus.log()}"
            # Traffic for the rate to measure, between scrapes.
            for _ in range(5):
                assert client.get("/login").status == 200
            try:
                last = prometheus.query(RATE_QUERY)
            except OSError as e:   # not listening yet
                last = repr(e)
                time.sleep(0.5)
                continue
            result = last.get("data", {}).get("result", []) if last.get("status") == "success" else []
            if result and float(result[0]["value"][1]) > 0:
                answer = last
            else:
                time.sleep(0.5)
        assert answer is not None, f"no request rate within {SCRAPE_TIMEOUT}s; last answer: {last}\n{prometheus.log()}"
        rate = float(answer["data"]["result"][0]["value"][1])
        print(f"\nPrometheus {RATE_QUERY} -> {json.dumps(answer)}")
        assert rate > 0
        # The target is up, and Prometheus read the latency histogram too.
        up = prometheus.query('up{job="custos"}')["data"]["result"]
        assert up and up[0]["value"][1] == "1", up
        latency = prometheus.query('custos_http_request_duration_seconds_count{route="/login",method="GET"}')["data"]["result"]
        assert latency and float(latency[0]["value"][1]) >= 5, latency
    finally:
        prometheus.stop()
        server.stop()
