"""A throwaway PostgreSQL 15 cluster for the end-to-end tests (the Python twin of
Tests/CustosTestSupport/TestPostgresServer.swift).

`initdb` into a temporary directory (owned by the `postgres` user when the tests run as root: initdb and
postgres refuse to run as root), a superuser with a scram-sha-256 password, the server listening ONLY on a Unix
socket in that directory (no TCP at all), an owner role and an application role (both LOGIN, no superuser, no
CREATEDB, no CREATEROLE) and a database `custos` owned by the owner role. Stopped with `pg_ctl -m immediate`
and removed at teardown.

Use it as a fixture: `def test_x(pg_cluster): …`, with `pg_cluster.url("custos_app")`,
`pg_cluster.env("custos_app")` (PGPASSWORD) and `pg_cluster.sql(...)`. Set CUSTOS_POSTGRES_BIN to use other
server binaries than Debian's /usr/lib/postgresql/15/bin.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("CUSTOS_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "custos_test_admin"
OWNER = "custos_owner"
APP = "custos_app"
DATABASE = "custos"
PG_TIMEOUT = 60.0


@dataclass
class PgCluster:
    directory: Path          # the socket directory (and the cluster's home)
    passwords: dict          # role → password
    runas: list              # ["runuser", "-u", "postgres", "--"] or []
    database: str = DATABASE

    @property
    def socket_dir(self) -> str:
        return str(self.directory)

    def url(self, role: str, database: str | None = None) -> str:
        """postgres://ROLE@/DB?host=SOCKETDIR (the password goes in PGPASSWORD, never in the URL)."""
        return f"postgres://{role}@/{database or self.database}?host={self.directory}"

    def env(self, role: str, base: dict | None = None) -> dict:
        e = dict(os.environ if base is None else base)
        e["PGPASSWORD"] = self.passwords[role]
        return e

    def psql(self, sql: str, role: str = SUPERUSER, database: str | None = None,
             timeout: float = PG_TIMEOUT) -> subprocess.CompletedProcess:
        """Runs `sql` with psql as `role` over the socket: unaligned, tuples only, '|' separated, stop on error."""
        return subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "|", "-h", self.socket_dir,
             "-U", role, "-d", database or self.database, "-c", sql],
            env=self.env(role), capture_output=True, text=True, timeout=timeout)

    def sql(self, sql: str, role: str = SUPERUSER, database: str | None = None) -> list[list[str]]:
        """`psql` that must succeed; returns its rows as lists of column texts."""
        r = self.psql(sql, role=role, database=database)
        assert r.returncode == 0, f"psql as {role} failed ({r.returncode}): {sql}\n{r.stdout}\n{r.stderr}"
        return [line.split("|") for line in r.stdout.splitlines() if line != ""]


def _run(argv: list, log: Path, what: str) -> None:
    with open(log, "ab") as out:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=PG_TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}):\n{log.read_text(errors='replace')[-3000:]}")


def start_cluster() -> tuple[PgCluster, callable]:
    """Starts the cluster; returns it and the function that stops it and removes its directory."""
    if not (PG_BIN / "initdb").is_file():
        pytest.skip(f"PostgreSQL 15 server binaries not found at {PG_BIN} (no initdb): install Debian's "
                    "postgresql-15 or point CUSTOS_POSTGRES_BIN at them")
    if shutil.which("psql") is None:
        pytest.skip("psql not found: install postgresql-client")
    runas: list = []
    account = None
    if os.getuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                account = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if account is None:
            pytest.skip("running as root and there is no `postgres` or `nobody` user to run PostgreSQL as")
        runas = ["runuser", "-u", account.pw_name, "--"]
    # Short path: a Unix socket path must fit in 107 bytes.
    directory = Path(tempfile.mkdtemp(prefix="custos-pg-", dir="/tmp"))
    os.chmod(directory, 0o755)
    data = directory / "data"
    pwfile = directory / "superuser-password"
    passwords = {SUPERUSER: secrets.token_hex(12), OWNER: secrets.token_hex(12), APP: secrets.token_hex(12)}
    pwfile.write_text(passwords[SUPERUSER])
    os.chmod(pwfile, 0o600)
    if account is not None:
        os.chown(directory, account.pw_uid, account.pw_gid)
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    log = directory / "setup.log"
    started = False

    def stop() -> None:
        if started and (data / "postmaster.pid").exists():
            subprocess.run([*runas, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=PG_TIMEOUT)
        shutil.rmtree(directory, ignore_errors=True)

    try:
        _run([*runas, str(PG_BIN / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
              "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], log, "initdb")
        started = True
        _run([*runas, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"), "-w", "-t", "60",
              "-o", f"-c listen_addresses= -k {directory} -c fsync=off -c synchronous_commit=off "
                    "-c full_page_writes=off -c max_connections=400", "start"], log, "pg_ctl start")
        cluster = PgCluster(directory=directory, passwords=passwords, runas=runas)
        for role in (OWNER, APP):
            cluster.sql(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                        f"PASSWORD '{passwords[role]}'", database="postgres")
        cluster.sql(f"CREATE DATABASE {DATABASE} OWNER {OWNER}", database="postgres")
        return cluster, stop
    except BaseException:
        stop()
        raise


@pytest.fixture(scope="module")
def pg_cluster():
    """A fresh PostgreSQL cluster with database `custos` (owner custos_owner, application role custos_app)."""
    cluster, stop = start_cluster()
    try:
        yield cluster
    finally:
        stop()
