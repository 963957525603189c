"""The DuckDB session the parsers use: in memory, local time zone, no extension downloads; and its error text.

`connect()` gives a connection of its own (parsers run in parallel; a connection is not shared across threads).
`to_polars` turns a query result into a Polars frame through Arrow (TIMESTAMPTZ -> Datetime("us", TZ)).
"""

from __future__ import annotations

import os
import re
import threading

import duckdb
import polars as pl

from sources.schema import TZ

_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


# DuckDB 2 numbers the rows of a table function in file order (`WITH ORDINALITY`); 1.5, the lake environment's
# (warehouse/lake.py), cannot: there the parser's session reads with one thread, which keeps the file's order, and
# row_number() numbers the rows in it. The parsers run several files at once, so little is lost.
ORDINALITY = int(duckdb.__version__.split(".")[0]) >= 2


_DATABASE_LOCK = threading.Lock()
_database: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (pid, this process's in-memory database)
_forked_away: list[duckdb.DuckDBPyConnection] = []


def _database_of_this_process() -> duckdb.DuckDBPyConnection:
    global _database
    with _DATABASE_LOCK:
        if _database is None or _database[0] != os.getpid():
            if _database is not None:
                # A parent's database, copied by fork: not usable here, and closing it could wait for its threads,
                # which did not come along. Left alone.
                _forked_away.append(_database[1])
            db = duckdb.connect(":memory:", config=dict(_CONFIG))
            if not ORDINALITY:
                db.execute("SET threads = 1")
            _database = (os.getpid(), db)
        return _database[1]


def connect() -> duckdb.DuckDBPyConnection:
    """A connection of its own on this process's one in-memory database: opening a database costs ~20 ms, a
    connection to an open one ~0.2 ms (the extract step makes hundreds). What the parsers create is TEMP, and
    registered frames and the time zone are per connection, so connections do not see each other's."""
    db = _database_of_this_process()
    with _DATABASE_LOCK:
        con = db.cursor()
    con.execute(f"SET TimeZone = '{TZ}'")
    return con


def with_ordinality(table_function: str) -> str:
    """A FROM item: the rows of `table_function` (e.g. `read_json(...)`) with `ordinality`, their position in the
    file from 1, on a connection of connect()."""
    if ORDINALITY:
        return f"{table_function} WITH ORDINALITY"
    return f"(SELECT *, row_number() OVER () AS ordinality FROM {table_function})"


def to_polars(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    table = con.sql(sql, params=params or None).to_arrow_table()
    return pl.from_arrow(table)  # type: ignore[return-value]


def clean_error(error: BaseException) -> str:
    """DuckDB's message reduced to one line, without the absolute path and without any value it quotes.

    DuckDB quotes offending values ("but got VARCHAR: <value>"); a value may be personal, so it is cut.
    """
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^[A-Za-z ]*Error: ", "", text)
    text = re.sub(r'\s*(?:while reading |in )?file "[^"]*"', "", text)  # no paths (absolute, or the caller's)
    text = re.sub(r"(but got [A-Z_]+)\s*:.*$", r"\1", text)
    return text.strip().rstrip(".")
