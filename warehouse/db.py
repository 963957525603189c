"""Connections to the warehouse DuckDB file: session settings, the schema, and the single-writer lock.

DuckDB allows one writing process per file, so every writer takes an exclusive advisory lock on a lock file beside
the database first: two runs launched at once queue on the lock instead of failing on DuckDB's own file lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import time
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb

from sources.labels import code_label_rows
from warehouse.lake import ALIAS as LAKE_ALIAS, Lake, LakeError, attach, lake_ddl, lake_from_env
from warehouse.lake import require_extensions, writer_lock as lake_writer_lock


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
    sources.labels.CODES. In the lake without the keys DuckLake does not have (warehouse/lake.py lake_ddl)."""
    in_lake = con.execute("SELECT current_database()").fetchone()[0] == LAKE_ALIAS
    for name in sql_files("schema"):
        sql = sql_text("schema", name)
        con.execute(lake_ddl(sql) if in_lake else sql)
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


class WarehouseUnavailable(RuntimeError):
    """The warehouse file cannot be opened or written, for a cause waiting will not cure (or a lock held too long).
    The message is one line: what happened and what to do. Raised by `open_warehouse` and `explained`; the assets
    turn it into the step failure Dagster shows, `hoso` prints it as its last line."""


# How long a writer waits for DuckDB's own file lock held by another process (an analyst's read-write session, a
# script) before saying so. The pipeline's own runs queue on writer_lock instead, without this limit.
LOCK_WAIT_ENV = "HOSO_WAREHOUSE_LOCK_WAIT"
DEFAULT_LOCK_WAIT_S = 10.0
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
_DAMAGED = ("not a valid DuckDB database", "Could not read enough bytes", "Corrupt database file",
            "database file is corrupt", "checksum", "Unsupported version", "is not a DuckDB database")


def mount_point(path: Path | str) -> Path:
    """The mount point of the file system holding `path` (or its nearest existing parent)."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _file_named(e: BaseException, default: Path) -> Path:
    """The file an error names (OSError.filename, or DuckDB's `file "..."`), else `default`."""
    name = getattr(e, "filename", None)
    if not name:
        m = re.search(r'file "([^"]+)"', str(e))
        name = m.group(1) if m else None
    return Path(name) if name else default


def explain(exc: BaseException, db_path: Path | str) -> WarehouseUnavailable | None:
    """The WarehouseUnavailable that says what `exc` (or an exception it was raised from) means for the warehouse at
    db_path, or None when it is none of the known causes: another process holds the file, the file or its folder
    cannot be written, the disk is full, the file is damaged."""
    path = Path(db_path)
    for e in _chain(exc):
        if isinstance(e, WarehouseUnavailable):
            return e
        text, code = str(e), getattr(e, "errno", None)
        named = _file_named(e, path)
        ours = named == path or str(named).startswith(str(path)) or named.parent == path.parent
        if code == errno.ENOSPC or "No space left on device" in text or "Disk quota exceeded" in text:
            fs = mount_point(named)
            return WarehouseUnavailable(
                f"no space left on the file system {fs} (writing {named}): free space on {fs} (or set "
                "HOSO_WAREHOUSE_DB to a file on a larger disk), then run again; nothing of the failed load was "
                "committed")
        if "Could not set lock on file" in text:
            m = _HOLDER.search(text)
            who = f" ({Path(m['program']).name}, PID {m['pid']})" if m else ""
            return WarehouseUnavailable(
                f"the warehouse {path} is held open by another process{who}: close that session (an analyst's "
                "read-write connection? read the analytics snapshot, or open the warehouse with read_only=True), "
                "then run again")
        if ours and (code in (errno.EACCES, errno.EPERM, errno.EROFS) or "Permission denied" in text
                     or "Read-only file system" in text or "Operation not permitted" in text):
            what = "read-only file system" if (code == errno.EROFS or "Read-only" in text) else "permission denied"
            target = path if path.exists() else path.parent
            return WarehouseUnavailable(
                f"cannot write the warehouse {path} ({what}): fix permissions on {target} (the pipeline writes the "
                f"file, its .wal and its .lock in {path.parent}), then run again")
        if ours and any(marker in text for marker in _DAMAGED):
            return WarehouseUnavailable(
                f"the warehouse file {path} is damaged ({text.splitlines()[0][:160]}): run `hoso rebuild` (it "
                "rebuilds the warehouse from the landing files and keeps the damaged file aside)")
    return None


def open_warehouse(db_path: Path | str, lock_wait_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the warehouse file, configured. A lock held by another process is waited on for
    lock_wait_s (HOSO_WAREHOUSE_LOCK_WAIT, default 10 s), then reported; any other known cause (unwritable, disk
    full, damaged) is reported at once as WarehouseUnavailable: waiting cannot cure it."""
    path = Path(db_path)
    if lock_wait_s is None:
        lock_wait_s = float(os.environ.get(LOCK_WAIT_ENV) or DEFAULT_LOCK_WAIT_S)
    deadline = time.monotonic() + lock_wait_s
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path))
        except (duckdb.Error, OSError) as exc:
            cause = explain(exc, path)
            if cause is None:
                raise
            if "held open by another process" in str(cause) and time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            raise cause from exc
        try:
            return with_lake(configure(con))
        except BaseException:
            con.close()
            raise


def lake_setting() -> Lake | None:
    """The lake of the settings (HOSO_LAKE, HOSO_LAKE_DATA), None without lake mode; a wrong setting or an
    environment without the extensions as WarehouseUnavailable (one line)."""
    try:
        lake = lake_from_env()
        if lake is not None:
            require_extensions()
        return lake
    except LakeError as exc:
        raise WarehouseUnavailable(str(exc)) from None


def with_lake(con: duckdb.DuckDBPyConnection, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """In lake mode (HOSO_LAKE, warehouse/lake.py) the lake attached as the connection's default catalog: the same
    SQL then reads and writes the lake. Unchanged without it."""
    lake = lake_setting()
    if lake is None:
        return con
    try:
        return attach(con, lake, read_only=read_only)
    except LakeError as exc:
        raise WarehouseUnavailable(str(exc)) from None
    except duckdb.Error as exc:  # the catalog's server unreachable, refused, ...: one line, the lake named
        raise WarehouseUnavailable(f"the lake ({lake.catalog}) cannot be attached: "
                                   f"{str(exc).strip().splitlines()[0][:200]}") from exc


def read_warehouse(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse (in lake mode the lake, attached read-only)."""
    if lake_setting() is not None:  # the local file only holds the session; the lake is read
        return with_lake(configure(duckdb.connect(str(db_path))), read_only=True)
    return connect(db_path, read_only=True)


@contextlib.contextmanager
def explained(db_path: Path | str) -> Iterator[None]:
    """Known causes (explain) raised inside the block come out as WarehouseUnavailable, the original chained."""
    try:
        yield
    except (duckdb.Error, OSError) as exc:
        cause = explain(exc, db_path)
        if cause is None or cause is exc:
            raise
        raise cause from exc


def process_alive(pid: int) -> bool:
    """Whether a process of this id exists (the temporary files of dead runs are removed, a live one's left alone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def writer_lock(db_path: Path | str, timeout_s: float = 3600.0) -> Iterator[None]:
    """Hold the exclusive writer lock of a warehouse file; waits (up to timeout_s) for another writer to finish. In lake
    mode also the lake's writer lock (warehouse/lake.py), which writers on other machines take too."""
    lake = lake_setting()
    lock_path = Path(str(db_path) + ".lock")
    with explained(db_path):
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")
    with fh:
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
            with contextlib.ExitStack() as held:
                if lake is not None:
                    try:
                        held.enter_context(lake_writer_lock(lake, max(0.0, deadline - time.monotonic())))
                    except LakeError as exc:
                        raise WarehouseUnavailable(str(exc)) from None
                yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def writer(db_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writing connection with the schema applied, under the writer lock."""
    with writer_lock(db_path), explained(db_path):
        con = open_warehouse(db_path)
        try:
            apply_schema(con)
            yield con
        finally:
            con.close()


def check_writable(db_path: Path | str) -> None:
    """Raise WarehouseUnavailable now (not minutes into a run) when the warehouse cannot be opened for writing. Skipped
    while another pipeline run holds the writer lock: that run is using it, and a new run queues behind it."""
    path = Path(db_path)
    try:
        with writer_lock(path, timeout_s=0):
            new = not path.exists()
            open_warehouse(path).close()
            if new:  # only a trial: the run creates it
                for made in (path, Path(str(path) + ".wal")):
                    made.unlink(missing_ok=True)
    except TimeoutError:
        return
