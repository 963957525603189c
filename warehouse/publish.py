"""Publish: write the analysts' snapshot (HOSO_ANALYTICS_DB) and swap it in atomically.

The snapshot is a separate DuckDB file holding the marts only (no personal data: the marts carry none, and the
check below refuses a column named like one): every table of schema `marts` and every view of schema `bao_cao`
that the dbt project built in the warehouse, with the comments dbt wrote there (persist_docs), read from DuckDB's
catalog. It is written under a temporary name and renamed over the old one, so an analyst who has the old file open
keeps reading a complete snapshot, never blocks the pipeline, and the next connection sees the new one.

The views are created again inside the snapshot from the SQL DuckDB keeps for them, which names the marts without a
database (`marts.x`): DuckDB binds a view's names, when it is queried, inside the database that holds the view, so
the views read the snapshot's own marts when the file is opened on its own or attached under any name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from stages.faults import crash_point
from warehouse.db import configure

PERSONAL_COLUMN = re.compile(r"(owner|phone|email|address|handler|_hash$|id_number|chu_ho_so)", re.I)
# Relations dbt leaves for a moment while it replaces a model (and behind, if killed then): never published.
DBT_TEMPORARY = re.compile(r"__dbt_(tmp|backup)$")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relations(con: duckdb.DuckDBPyConnection, kind: str, schema: str) -> list[tuple[str, str | None, str | None]]:
    """(name, comment, sql) of the tables or views of a schema of the connection's own database."""
    query = ("SELECT table_name, comment, NULL FROM duckdb_tables()" if kind == "table" else
             "SELECT view_name, comment, sql FROM duckdb_views()")
    rows = con.execute(f"{query} WHERE database_name = current_database() AND schema_name = ? AND NOT temporary "
                       "ORDER BY 1", [schema]).fetchall()
    return [r for r in rows if not DBT_TEMPORARY.search(r[0])]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[tuple[str, str | None]]:
    return con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, name]).fetchall()


def _copy_comments(con: duckdb.DuckDBPyConnection, kind: str, target: str, comment: str | None,
                   columns: list[tuple[str, str | None]]) -> None:
    if comment:
        con.execute(f"COMMENT ON {kind} {target} IS {_quote(comment)}")
    for column, text in columns:
        if text:
            con.execute(f"COMMENT ON COLUMN {target}.{_ident(column)} IS {_quote(text)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(con: duckdb.DuckDBPyConnection, analytics_db: Path) -> dict:
    """Copy every marts.* table of the warehouse connection into a new snapshot file and swap it in."""
    analytics_db = Path(analytics_db)
    analytics_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = analytics_db.with_name(f".{analytics_db.name}.{os.getpid()}.tmp")
    # Temp snapshots of runs that died before their rename (publish runs under the writer lock: no other publisher
    # is alive, but a temp file whose process still exists is left alone).
    for leftover in analytics_db.parent.glob(f".{analytics_db.name}.*.tmp*"):
        pid = leftover.name[len(analytics_db.name) + 2:].split(".")[0]
        if leftover.name.startswith(tmp.name) or not pid.isdigit() or not _alive(int(pid)):
            leftover.unlink(missing_ok=True)
    tables = _relations(con, "table", "marts")
    views = _relations(con, "view", "bao_cao")
    con.execute(f"ATTACH {_quote(str(tmp))} AS snapshot")
    crash_point("publish.attached")
    try:
        con.execute("CREATE SCHEMA snapshot.marts")
        counts = {}
        for t, comment, _ in tables:
            cols = _columns(con, "marts", t)
            personal = [c for c, _ in cols if PERSONAL_COLUMN.search(c)]
            if personal:
                raise RuntimeError(f"marts.{t} has columns that look personal ({', '.join(personal)}): not published")
            con.execute(f"CREATE TABLE snapshot.marts.{_ident(t)} AS SELECT * FROM marts.{_ident(t)}")
            _copy_comments(con, "TABLE", f"snapshot.marts.{_ident(t)}", comment, cols)
            counts[t] = con.execute(f"SELECT count(*) FROM snapshot.marts.{_ident(t)}").fetchone()[0]
            crash_point("publish.table")
        _create_views(con, views)
        con.execute("CHECKPOINT snapshot")
        crash_point("publish.checkpointed")
    finally:
        con.execute("DETACH snapshot")
    crash_point("publish.detached")
    os.replace(tmp, analytics_db)
    crash_point("publish.replaced")
    return {"path": str(analytics_db), "tables": counts}


def _create_views(con: duckdb.DuckDBPyConnection, views: list[tuple[str, str | None, str | None]]) -> None:
    """The bao_cao views of the warehouse, created inside the attached snapshot from the SQL DuckDB keeps for them
    (`CREATE VIEW bao_cao.x AS ... FROM marts.y ...`: no database named, so they bind to the snapshot's marts)."""
    current_db, current_schema = con.execute("SELECT current_database(), current_schema()").fetchone()
    columns = {v: _columns(con, "bao_cao", v) for v, _, _ in views}
    con.execute("USE snapshot")
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS bao_cao")
        for view, comment, sql in views:
            if f"{current_db}." in sql or f'"{current_db}".' in sql:
                raise RuntimeError(f"bao_cao.{view} names the warehouse database ({current_db}): it would not "
                                   "bind to the snapshot's marts")
            con.execute(sql)
            _copy_comments(con, "VIEW", f"bao_cao.{_ident(view)}", comment, columns[view])
    finally:
        con.execute(f"USE {_ident(current_db)}.{_ident(current_schema)}")


def open_snapshot(analytics_db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the analysts' snapshot."""
    return configure(duckdb.connect(str(analytics_db), read_only=True))
