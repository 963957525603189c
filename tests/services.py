"""Services the tests start for real, for the tests that import them.

`postgres_url` (session fixture): a PostgreSQL server of the Debian package `postgresql`, started in a fresh
temporary directory, listening on 127.0.0.1 on a free port, with one empty database; yields its
`postgresql+psycopg2://postgres@127.0.0.1:<port>/<db>` URL and stops the server and removes the directory after the
session, whatever the tests did. Import it into a test module: `from services import postgres_url  # noqa: F401`.

`redis_url` (session fixture): a Redis server of the Debian package `redis-server`, likewise: a fresh temporary
directory, 127.0.0.1 on a free port, nothing saved to disk; yields its `redis://127.0.0.1:<port>` URL (a database
number goes after it) and stops the server after the session.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import pytest

DATABASE = "hoso_dagster"
# Debian installs each major version's server programs here, off the PATH.
BIN_GLOB = "/usr/lib/postgresql/*/bin"
MISSING = ("PostgreSQL is not installed (no initdb and pg_ctl in /usr/lib/postgresql/*/bin): install the Debian "
           "package `postgresql` (apt-get install -y --no-install-recommends postgresql); CI installs it")


REDIS_SERVER = "/usr/bin/redis-server"
REDIS_MISSING = (f"Redis is not installed (no {REDIS_SERVER}): install the Debian package `redis-server` "
                 "(apt-get install -y --no-install-recommends redis-server); CI installs it")


def postgres_bin() -> Path | None:
    """The bin directory of the newest PostgreSQL installed (Debian layout), or None."""
    found = [p for p in Path("/").glob(BIN_GLOB.lstrip("/")) if (p / "initdb").is_file() and (p / "pg_ctl").is_file()]
    numeric = [p for p in found if re.fullmatch(r"\d+", p.parent.name)]
    return max(numeric, key=lambda p: int(p.parent.name)) if numeric else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if postgres_bin() is None:
        pytest.fail(MISSING, pytrace=False)  # not a skip: these tests are part of what CI proves
    with running_postgres() as url:
        yield url


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server (the fixture's; the benchmark's lake runs use it too): its URL while the block
    runs, stopped and removed after it."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError(MISSING)
    # PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user the package creates, in a
    # directory that user owns (under the system temporary directory: pytest's own is private to root).
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    root = Path(tempfile.mkdtemp(prefix="hoso-pg-"))
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, log = root / "data", root / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess:
        res = subprocess.run([*prefix, *args], cwd=root, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            what = f"{Path(args[0]).name} {args[1]}"
            raise RuntimeError(f"{what} failed ({res.returncode}): {res.stderr}{res.stdout}\n{server_log}")
        return res

    try:
        # --no-sync and fsync=off: a throw-away server, its durability is not what is tested
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-locale",
            "--auth=trust", "--no-sync")
        # trust, but only on 127.0.0.1 and on a socket in the private directory
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        port = free_port()
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{root}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        run(str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w", "-t", "60")
        deadline = time.monotonic() + 30
        while True:  # pg_ctl -w waits for the server; the first TCP connection is the proof
            try:
                con = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                       connect_timeout=5)
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        try:
            con.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with con.cursor() as cur:
                cur.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            con.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        try:
            if (data / "postmaster.pid").exists():  # the server runs (or a start half-failed)
                try:
                    run(str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w", "-t", "60")
                except RuntimeError:  # a session still holding on: never leave a server behind
                    run(str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "30")
        finally:
            shutil.rmtree(root, ignore_errors=True)


def libpq(url: str) -> str:
    """The libpq keywords of a postgresql+psycopg2:// URL of running_postgres (as a lake's catalog names them)."""
    u = urlparse(url.replace("postgresql+psycopg2", "postgresql"))
    return f"dbname={u.path.lstrip('/')} host={u.hostname} port={u.port} user={u.username}"


def new_database_url(url: str, prefix: str) -> str:
    """A new database on the server of `url`; its postgresql+psycopg2:// URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    con = psycopg2.connect(libpq(url))
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
    finally:
        con.close()
    return url.rsplit("/", 1)[0] + "/" + name


def new_database(url: str, prefix: str = "lake") -> str:
    """A new database on the server of `url` (e.g. one lake's catalog); its libpq connection string."""
    return libpq(new_database_url(url, prefix))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if not Path(REDIS_SERVER).is_file():
        pytest.fail(REDIS_MISSING, pytrace=False)  # not a skip, as for PostgreSQL
    with running_redis() as url:
        yield url


def redis_ping(port: int) -> bool:
    """The server answers PING (Redis's inline protocol: no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def running_redis() -> Iterator[str]:
    """A throw-away Redis server: its URL while the block runs, stopped and its directory removed after it."""
    root = Path(tempfile.mkdtemp(prefix="hoso-redis-"))
    port = free_port()
    # No snapshot, no append-only file: a throw-away broker; only 127.0.0.1.
    proc = subprocess.Popen([REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(root),
                             "--save", "", "--appendonly", "no", "--logfile", str(root / "server.log")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not redis_ping(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                log_file = root / "server.log"
                log = log_file.read_text(errors="replace")[-3000:] if log_file.exists() else ""
                raise RuntimeError(f"redis-server did not answer on port {port} (exit {proc.poll()}):\n{log}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
