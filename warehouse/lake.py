"""Lake mode: the warehouse's tables in DuckLake (catalog in PostgreSQL, data as Parquet files under a data path),
for a team whose writers and readers are on several machines. One setting switches it on:

    HOSO_LAKE=ducklake:postgres:dbname=hoso host=db.example port=5432 user=hoso   (libpq keywords; the password from
                                                                                  PGPASSWORD or ~/.pgpass)
    HOSO_LAKE_DATA=/shared/hoso-lake/    (where the Parquet files go; local, NFS or object storage)

Without HOSO_LAKE nothing changes: the warehouse is the DuckDB file. With it, every warehouse connection (db.connect)
opens the local DuckDB file as before (it stays the session's scratch, and the place of the writer lock), attaches
the lake as `lake` and makes it the default catalog, so the same SQL (`core.dossiers`, `meta.loads`, the dbt models)
reads and writes the lake.

DuckLake and PostgreSQL are DuckDB extensions; they are loaded from their PyPI wheels (duckdb-extension-ducklake,
duckdb-extension-postgres), never downloaded. PyPI has those wheels for DuckDB 1.5.5 only, so lake mode runs in the
lake environment (requirements-lake.lock, README "From one machine to a team").
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from typing import Iterator

import duckdb
import psycopg2

try:  # only in the lake environment (requirements-lake.lock)
    import duckdb_extensions
except ImportError:  # the embedded default's environment: lake mode says what it needs when asked for
    duckdb_extensions = None

AVAILABLE = duckdb_extensions is not None  # this environment can run lake mode

LAKE_ENV = "HOSO_LAKE"
LAKE_DATA_ENV = "HOSO_LAKE_DATA"
ALIAS = "lake"
EXTENSIONS = ("postgres", "ducklake")
PREFIX = "ducklake:"
POSTGRES_PREFIX = "ducklake:postgres:"
# The key of the lake's writer lock: a PostgreSQL advisory lock, which is per database (one lake per catalog database).
WRITER_LOCK_KEY = 0x686F736F  # "hoso"


class LakeError(RuntimeError):
    """Lake mode asked for and not possible: the setting or the environment is wrong (one line saying which)."""


@dataclass(frozen=True)
class Lake:
    """Where the lake is: its catalog (a `ducklake:` URL, e.g. `ducklake:postgres:<libpq string>`) and data path."""

    catalog: str
    data_path: str

    def __post_init__(self) -> None:
        if not self.data_path:
            raise LakeError(f"{LAKE_ENV} is set without {LAKE_DATA_ENV}: say where the lake's Parquet files go")
        if not self.catalog.startswith(PREFIX):
            raise LakeError(f"{LAKE_ENV} must be a DuckLake catalog such as ducklake:postgres:dbname=hoso host=... "
                            f"(got a value not starting with {PREFIX!r})")
        if "'" in self.catalog or (self.data_path and "'" in self.data_path):
            raise LakeError(f"{LAKE_ENV} and {LAKE_DATA_ENV} cannot contain a single quote")

    @property
    def postgres_dsn(self) -> str | None:
        """The libpq connection string of a PostgreSQL catalog, None for another kind of catalog."""
        return self.catalog[len(POSTGRES_PREFIX):] if self.catalog.startswith(POSTGRES_PREFIX) else None


def lake_mode(environ: os._Environ | dict | None = None) -> bool:
    """Whether the settings ask for lake mode (HOSO_LAKE set), right or wrong."""
    env = os.environ if environ is None else environ
    return bool((env.get(LAKE_ENV) or "").strip())


def lake_from_env(environ: os._Environ | dict | None = None) -> Lake | None:
    env = os.environ if environ is None else environ
    if not lake_mode(env):
        return None
    catalog = env[LAKE_ENV].strip()
    return Lake(catalog=catalog, data_path=(env.get(LAKE_DATA_ENV) or "").strip())


def require_extensions() -> None:
    """LakeError unless this environment can run lake mode."""
    if not AVAILABLE:
        raise LakeError(f"{LAKE_ENV} is set but this environment has no DuckLake extension: run lake mode in the lake "
                        f"environment (requirements-lake.lock, DuckDB 1.5.5), e.g. ./dev lake run")


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """INSTALL the DuckLake and PostgreSQL extensions from their wheels' files and LOAD them (no download)."""
    require_extensions()
    for name in EXTENSIONS:
        duckdb_extensions.import_extension(name, con=con)
        con.execute(f"LOAD {name}")


def attach(con: duckdb.DuckDBPyConnection, lake: Lake, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Attach the lake as `lake` and make it the default catalog of `con`."""
    load_extensions(con)
    options = [f"DATA_PATH '{lake.data_path}'"]
    if read_only:
        options.append("READ_ONLY")
    con.execute(f"ATTACH '{lake.catalog}' AS {ALIAS}" + (f" ({', '.join(options)})" if options else ""))
    con.execute(f"USE {ALIAS}")
    return con


# DuckLake has no PRIMARY KEY or UNIQUE constraints ("not supported in DuckLake"). The embedded warehouse keeps them
# as a safety net; in the lake a key column stays NOT NULL and the grain is the loaders' (and dbt's grain tests').
_COLUMN_KEY = re.compile(r"\bPRIMARY KEY\b(?!\s*\()", re.IGNORECASE)
_TABLE_KEY = re.compile(r",(\s*--[^\n]*)?\s*PRIMARY KEY\s*\([^)]*\)", re.IGNORECASE)


def lake_ddl(sql: str) -> str:
    """The warehouse DDL as DuckLake takes it: column keys become NOT NULL, table keys are left out."""
    return _COLUMN_KEY.sub("NOT NULL", _TABLE_KEY.sub(lambda m: m.group(1) or "", sql))


@contextlib.contextmanager
def writer_lock(lake: Lake, timeout_s: float) -> Iterator[None]:
    """Hold the lake's writer lock, waiting up to timeout_s for another writer (TimeoutError after): a PostgreSQL
    advisory lock in the catalog's database, so writers on every machine take turns as the processes of one machine
    do on the warehouse file's lock. It lives with its connection: a writer that dies (even SIGKILLed) releases it.
    Why a lock and not DuckLake's own conflict checks alone: DuckLake 1.5.5 lets two concurrent transactions that
    each delete no row and insert the same new key both commit (two current rows of one dossier); merges taken in
    turn cannot do that. A catalog that is not PostgreSQL has only the local lock (one machine)."""
    dsn = lake.postgres_dsn
    if dsn is None:
        yield
        return
    try:
        con = psycopg2.connect(dsn, application_name="hoso writer lock")
    except psycopg2.Error as exc:
        raise LakeError(f"the lake's catalog ({lake.catalog}) cannot be reached for its writer lock: "
                        f"{str(exc).strip().splitlines()[0][:200]}") from None
    try:
        con.autocommit = True
        deadline = time.monotonic() + timeout_s
        with con.cursor() as cur:
            while True:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another writer has held the lake's writer lock ({lake.catalog}) "
                                       f"for {timeout_s:.0f} s")
                time.sleep(0.2)
        yield
    finally:
        con.close()  # closing the session releases the lock


# How long a lake keeps what a newer state replaced: its snapshots stay readable (time travel) and the files they
# need stay on disk this long, so a reader's transaction that started before a merge finishes on the files it began
# with. DuckLake's own option values (an interval).
DEFAULT_KEEP = "7 days"
# A data file is rewritten without its deleted rows once this share of them is deleted (DuckLake's
# rewrite_delete_threshold; its default 0.95 left the merge's delete-then-insert files untouched).
REWRITE_DELETE_THRESHOLD = "0.2"


def census(con: duckdb.DuckDBPyConnection, lake: Lake) -> dict:
    """The lake's snapshots, its current data and delete files, and the files under its data path (current ones,
    ones kept for older snapshots, orphans of writers that died before committing)."""
    meta = f"__ducklake_metadata_{ALIAS}"
    snapshots = con.execute(f"SELECT count(*) FROM ducklake_snapshots('{ALIAS}')").fetchone()[0]
    data_files, data_bytes = con.execute(f"SELECT count(*), coalesce(sum(file_size_bytes), 0) FROM "
                                         f"{meta}.ducklake_data_file WHERE end_snapshot IS NULL").fetchone()
    delete_files = con.execute(f"SELECT count(*) FROM {meta}.ducklake_delete_file WHERE end_snapshot IS NULL"
                               ).fetchone()[0]
    on_disk = None if "://" in lake.data_path else con.execute(  # a local or mounted path only: no object storage
        "SELECT count(*) FROM glob(?)", [lake.data_path.rstrip("/") + "/**/*.parquet"]).fetchone()[0]
    return {"snapshots": snapshots, "data_files": data_files, "data_bytes": int(data_bytes),
            "delete_files": delete_files, "files_on_disk": on_disk}


def upkeep(con: duckdb.DuckDBPyConnection, lake: Lake, keep: str = DEFAULT_KEEP) -> dict:
    """DuckLake's own maintenance on the attached lake (its CHECKPOINT, in its order: flush inlined rows to files,
    expire the snapshots older than `keep`, merge adjacent small files, rewrite files with many deleted rows,
    delete the files no snapshot has needed for `keep`, and orphaned files older than `keep`). Every load adds a
    few files per table and every merge deletes rows, so without it reads slow down and the data path only grows.
    Run under the writer lock. Returns the census before and after."""
    before = census(con, lake)
    for option, value in (("expire_older_than", keep), ("delete_older_than", keep),
                          ("rewrite_delete_threshold", REWRITE_DELETE_THRESHOLD)):
        con.execute(f"CALL {ALIAS}.set_option(?, ?)", [option, value])
    con.execute(f"CHECKPOINT {ALIAS}")
    return {"before": before, "after": census(con, lake)}
