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

import os
import re
from dataclasses import dataclass

import duckdb

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


def lake_from_env(environ: os._Environ | dict | None = None) -> Lake | None:
    env = os.environ if environ is None else environ
    catalog = (env.get(LAKE_ENV) or "").strip()
    if not catalog:
        return None
    return Lake(catalog=catalog, data_path=(env.get(LAKE_DATA_ENV) or "").strip())


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """INSTALL the DuckLake and PostgreSQL extensions from their wheels' files and LOAD them (no download)."""
    if not AVAILABLE:
        raise LakeError(f"{LAKE_ENV} is set but this environment has no DuckLake extension: run lake mode in the lake "
                        f"environment (requirements-lake.lock, DuckDB 1.5.5), e.g. ./dev lake run")
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
