"""Connections to the warehouse DuckDB file: session settings, the schema, and the single-writer lock.

DuckDB allows one writing process per file, so every writer takes an exclusive advisory lock on a lock file beside
the database first: two runs launched at once queue on the lock instead of failing on DuckDB's own file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb

from sources.labels import code_label_rows


TIME_ZONE = "Asia/Ho_Chi_Minh"

# DuckDB's buffer memory for warehouse connections. Its default (80 % of RAM) let the load transaction take 2.5 GB
# on the sample world; above the limit DuckDB spills to `<database>.tmp/`. HOSO_DUCKDB_MEMORY_LIMIT overrides it.
MEMORY_LIMIT_ENV = "HOSO_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Session settings every connection of the project uses."""
    # Only built-in extensions: nothing may be downloaded at run time.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"SET TimeZone = '{TIME_ZONE}'")
    con.execute("SET memory_limit = $limit", {"limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT})
    return con


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return configure(duckdb.connect(str(path), read_only=read_only))


def sql_text(folder: str, name: str) -> str:
    """The text of warehouse/<folder>/<name>."""
    return resources.files("warehouse").joinpath(folder, name).read_text(encoding="utf-8")


def sql_files(folder: str) -> list[str]:
    """The .sql files of warehouse/<folder>, in name order (the order they must run in)."""
    return sorted(p.name for p in resources.files("warehouse").joinpath(folder).iterdir() if p.name.endswith(".sql"))


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing (every DDL file is CREATE ... IF NOT EXISTS), and bring ref.code_labels in line with
    sources.labels.CODES."""
    for name in sql_files("schema"):
        con.execute(sql_text("schema", name))
    write_code_labels(con)


def write_code_labels(con: duckdb.DuckDBPyConnection) -> None:
    """ref.code_labels := sources.labels.code_label_rows(), rewritten in one transaction only when it differs."""
    rows = sorted(code_label_rows())
    if con.execute("SELECT domain, code, label_vi FROM ref.code_labels ORDER BY ALL").fetchall() == rows:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ref.code_labels")
        con.executemany("INSERT INTO ref.code_labels VALUES (?, ?, ?)", rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def writer_lock(db_path: Path | str, timeout_s: float = 3600.0) -> Iterator[None]:
    """Hold the exclusive writer lock of a warehouse file; waits (up to timeout_s) for another writer to finish."""
    lock_path = Path(str(db_path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another pipeline run has held {lock_path} for {timeout_s:.0f} s")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def writer(db_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writing connection with the schema applied, under the writer lock."""
    with writer_lock(db_path):
        con = connect(db_path)
        try:
            apply_schema(con)
            yield con
        finally:
            con.close()
