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


_lock = threading.Lock()
_database: duckdb.DuckDBPyConnection | None = None  # this process's in-memory database, made on first use
_forked_away: list[duckdb.DuckDBPyConnection] = []


def _forget_after_fork() -> None:
    """In a forked child: a parent's database, copied, is not usable here, and closing it could wait for its
    threads, which did not come along (left alone); the lock may have been held by one of them."""
    global _lock, _database
    _lock = threading.Lock()
    if _database is not None:
        _forked_away.append(_database)
        _database = None


os.register_at_fork(after_in_child=_forget_after_fork)


def connect() -> duckdb.DuckDBPyConnection:
    """A connection of its own on this process's one in-memory database: opening a database costs ~20 ms, a
    connection to an open one ~0.2 ms (the extract step makes hundreds). What the parsers create is TEMP, and
    registered frames and the time zone are per connection, so connections do not see each other's."""
    global _database
    with _lock:
        if _database is None:
            _database = duckdb.connect(":memory:", config=dict(_CONFIG))
            if not ORDINALITY:
                _database.execute("SET threads = 1")
        con = _database.cursor()
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
