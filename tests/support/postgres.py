"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, loopback only, gone afterwards.

Use it from a test module (tests/conftest.py is not involved):

    from tests.support.postgres import pg_cluster, pg_url  # noqa: F401

    def test_something(pg_url):  # a new, empty database for this test
        with psycopg.connect(pg_url) as conn: ...

`pg_cluster` (session) yields the URL of the cluster's `flicker_test` database; `pg_url` (function) yields the
URL of a database made for one test with `fresh_database`. Both skip, saying why, only when no PostgreSQL
server binaries are installed. Every module that imports the fixtures shares one running cluster.

The cluster runs as an unprivileged user when the tests run as root (initdb refuses root): `flickerpg`
(created with useradd if missing) or else `nobody`. It trusts every connection, so it listens on
127.0.0.1 and a unix socket inside its own directory only, and must never hold anything but test data.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_ROOT = Path("/usr/lib/postgresql")
SERVICE_USER = "flickerpg"
TEST_DATABASE = "flicker_test"
START_ATTEMPTS = 3  # a free port can be taken by someone else between choosing it and listening


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin with a server in it, else pg_ctl on PATH, else None."""
    candidates: list[tuple[int, Path]] = []
    if PG_ROOT.is_dir():
        for child in PG_ROOT.iterdir():
            bindir = child / "bin"
            if child.name.isdigit() and (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
                candidates.append((int(child.name), bindir))
    if candidates:
        return max(candidates)[1]
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    return None


def _run_as_user() -> str | None:
    """The user the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
        return SERVICE_USER
    except KeyError:
        pass
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        capture_output=True,
        text=True,
    )
    with contextlib.suppress(KeyError):
        pwd.getpwnam(SERVICE_USER)  # made now, or by a concurrent run
        return SERVICE_USER
    if made.returncode != 0:
        pwd.getpwnam("nobody")  # raises KeyError if even that is missing: nothing sensible left to do
        return "nobody"
    return SERVICE_USER


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bindir: Path
    root: Path  # the temp dir: data/, the log and the unix socket
    user: str  # the OS user the server runs as, also its superuser role
    port: int = 0
    startup_s: float = 0.0  # initdb + start + CREATE DATABASE, for the curious
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = TEST_DATABASE) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return cmd

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        proc = subprocess.run(self._cmd(program, *args), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{program} failed ({proc.returncode}): {proc.stderr or proc.stdout}\n{log}")

    def start(self) -> None:
        began = time.monotonic()
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        for attempt in range(START_ATTEMPTS):
            self.port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-c port={self.port}",
                    f"-c unix_socket_directories={self.root}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200",
                ]
            )
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.datadir), "-l", str(self.logfile), "-o", options
                )
                break
            except RuntimeError:
                if attempt == START_ATTEMPTS - 1:
                    raise
        self.create_database(TEST_DATABASE)
        self.startup_s = time.monotonic() - began

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            subprocess.run(
                self._cmd("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.datadir)),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def fresh_database(self) -> str:
        with self._lock:
            number = next(self._names)
        return self.create_database(f"t{os.getpid()}_{number}")


def start_cluster() -> Cluster:
    """Start a new cluster (the caller stops it). Raises LookupError when no PostgreSQL is installed."""
    bindir = find_bindir()
    if bindir is None:
        raise LookupError("no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin and on PATH)")
    user = _run_as_user() or pwd.getpwuid(os.geteuid()).pw_name
    root = Path(tempfile.mkdtemp(prefix="flicker-pg-"))
    if os.geteuid() == 0:
        info = pwd.getpwnam(user)
        os.chown(root, info.pw_uid, info.pw_gid)
    os.chmod(root, 0o700)
    cluster = Cluster(bindir=bindir, root=root, user=user)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


class _Shared:
    """One cluster for the whole session, however many modules import the fixtures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cluster: Cluster | None = None
        self._users = 0

    def acquire(self) -> Cluster:
        with self._lock:
            if self._cluster is None:
                self._cluster = start_cluster()
            self._users += 1
            return self._cluster

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._cluster is not None:
                self._cluster.stop()
                self._cluster = None


_SHARED = _Shared()


def _cluster_or_skip() -> Cluster:
    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed (initdb/pg_ctl in /usr/lib/postgresql/*/bin or on PATH)")
    return _SHARED.acquire()


def fresh_database(url: str) -> str:
    """Create a new empty database on the cluster at `url`; return its URL."""
    cluster = _SHARED._cluster
    if cluster is None or not url.startswith(cluster.url("")):
        raise ValueError(f"{url} is not the running test cluster")
    return cluster.fresh_database()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """URL of the throwaway cluster's `flicker_test` database (shared by the session)."""
    cluster = _cluster_or_skip()
    try:
        yield cluster.url()
    finally:
        _SHARED.release()


@pytest.fixture
def pg_url(pg_cluster: str) -> str:
    """URL of a new, empty database for one test."""
    return fresh_database(pg_cluster)
