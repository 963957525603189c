"""Publish: write the analysts' snapshot (HOSO_ANALYTICS_DB) and swap it in atomically.

The snapshot is a separate DuckDB file holding the marts only (no personal data: the marts carry none, and the
check below refuses a column named like one): every table of schemas `marts` and `data_quality` and every view of
schema `bao_cao` that the dbt project built in the warehouse, with the comments dbt wrote there (persist_docs), read
from DuckDB's catalog.

The dossier code, a quasi-identifier (it can be looked up on the public portal), does not reach the snapshot: every
column named `dossier_code` is published as `dossier_ref`, its keyed pseudonym: the project's keyed hash
(sources/pii.py, hex sha256 of `key|code`) under HOSO_PII_KEY, given by the caller. The same code gives the same
reference in every snapshot built with the same key, so analysts can still count and join dossiers; the warehouse
keeps the code for data engineers. It is written under a temporary name and renamed over the old one, so an analyst who has the old file open
keeps reading a complete snapshot, never blocks the pipeline, and the next connection sees the new one.

One mart is carried over rather than copied again: `marts.fct_case_files`, one row per dossier, built incrementally
(warehouse/macros/incremental.sql). When the previous snapshot was published from the same build key, under the same
key, with the same columns and comments, the new snapshot starts as a copy of that file, and only the dossiers of the
loads it has not seen (their `merged_load_id`) are rewritten there; the other tables are copied as before. Otherwise
(the first snapshot, another window, reference, key or column, a previous file that cannot be opened) the table is
copied whole. The check reads the previous snapshot where it is, read-only, so the copy is made only when it is used.

The views are created again inside the snapshot from the SQL DuckDB keeps for them, which names the marts without a
database (`marts.x`): DuckDB binds a view's names, when it is queried, inside the database that holds the view, so
the views read the snapshot's own marts when the file is opened on its own or attached under any name.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb

from sources.pii import KEY_PARAM, pii_hash_sql
from stages.faults import crash_point
from warehouse.db import configure, process_alive

PERSONAL_COLUMN = re.compile(r"(owner|phone|email|address|handler|_hash$|id_number|chu_ho_so)", re.I)
# Relations dbt leaves for a moment while it replaces a model (and behind, if killed then): never published.
DBT_TEMPORARY = re.compile(r"__dbt_(tmp|backup)$")
# The schemas whose tables are copied (dbt tables), and the one whose views are created again in the snapshot.
TABLE_SCHEMAS = ("marts", "data_quality")
VIEW_SCHEMA = "bao_cao"
# Columns published as a keyed pseudonym under another name, with the comment they get in the snapshot.
# The dossier-grain mart carried over from the previous snapshot (module doc), and its columns that say which build
# and which load wrote a row.
CARRIED_OVER = ("marts", "fct_case_files")
PSEUDONYMS = {"dossier_code": ("dossier_ref",
                               "Mã tham chiếu hồ sơ (bí danh) | keyed pseudonym of the dossier code (hex sha256 of "
                               "key|code, sources/pii.py): the same dossier has the same reference in every snapshot "
                               "built with the same key, to count and join; the code itself stays in the warehouse")}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relations(con: duckdb.DuckDBPyConnection, kind: str, schema: str,
               database: str | None = None) -> list[tuple[str, str | None, str | None]]:
    """(name, comment, sql) of the tables or views of a schema, in the connection's own database or another."""
    query = ("SELECT table_name, comment, NULL FROM duckdb_tables()" if kind == "table" else
             "SELECT view_name, comment, sql FROM duckdb_views()")
    rows = con.execute(f"{query} WHERE database_name = coalesce(?, current_database()) AND schema_name = ? "
                       "AND NOT temporary ORDER BY 1", [database, schema]).fetchall()
    return [r for r in rows if not DBT_TEMPORARY.search(r[0])]


def _snapshot_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(TABLE | VIEW, schema, name) of what the attached snapshot holds."""
    return con.execute(
        "SELECT 'VIEW', schema_name, view_name FROM duckdb_views() WHERE database_name = 'snapshot' AND NOT internal "
        "UNION ALL SELECT 'TABLE', schema_name, table_name FROM duckdb_tables() WHERE database_name = 'snapshot' "
        "ORDER BY 1 DESC, 2, 3").fetchall()


def _columns(con: duckdb.DuckDBPyConnection, schema: str, name: str,
             database: str | None = None) -> list[tuple[str, str | None, str]]:
    """(column, comment, type) of a table or view, in order, in the connection's own database or another."""
    return con.execute(
        "SELECT column_name, comment, data_type FROM duckdb_columns() WHERE database_name = "
        "coalesce(?, current_database()) AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [database, schema, name]).fetchall()


def _copy_comments(con: duckdb.DuckDBPyConnection, kind: str, target: str, comment: str | None,
                   columns: list[tuple[str, str | None, str]]) -> None:
    if comment:
        con.execute(f"COMMENT ON {kind} {target} IS {_quote(comment)}")
    for column, text, _ in columns:
        if text:
            con.execute(f"COMMENT ON COLUMN {target}.{_ident(column)} IS {_quote(text)}")


def _select_list(cols: list[tuple[str, str | None, str]]) -> tuple[str, list[tuple[str, str | None, str]]]:
    """The SELECT list that copies a table with its pseudonymised columns (PSEUDONYMS), and the snapshot's
    (column, comment, type) list."""
    exprs, out = [], []
    for column, comment, data_type in cols:
        if column in PSEUDONYMS:
            name, text = PSEUDONYMS[column]
            exprs.append(f"{pii_hash_sql(_ident(column))} AS {_ident(name)}")
            out.append((name, text, "VARCHAR"))  # hex sha256
        else:
            exprs.append(_ident(column))
            out.append((column, comment, data_type))
    return ", ".join(exprs), out


def publish(con: duckdb.DuckDBPyConnection, analytics_db: Path, pii_key: str) -> dict:
    """Copy every marts.* and data_quality.* table of the warehouse connection (dossier codes pseudonymised with
    `pii_key`) and the bao_cao views into a new snapshot file and swap it in; fct_case_files is carried over from
    the previous snapshot when it can be (module doc). Returns the path, each table's rows and how many rows of
    fct_case_files were written."""
    if not pii_key:
        raise ValueError("publish needs the PII key: the snapshot's dossier references are keyed pseudonyms")
    analytics_db = Path(analytics_db)
    analytics_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = analytics_db.with_name(f".{analytics_db.name}.{os.getpid()}.tmp")
    # Temp snapshots of runs that died before their rename (publish runs under the writer lock: no other publisher
    # is alive, but a temp file whose process still exists is left alone).
    for leftover in analytics_db.parent.glob(f".{analytics_db.name}.*.tmp*"):
        pid = leftover.name[len(analytics_db.name) + 2:].split(".")[0]
        if leftover.name.startswith(tmp.name) or not pid.isdigit() or not process_alive(int(pid)):
            leftover.unlink(missing_ok=True)
    tables = [(schema, *t) for schema in TABLE_SCHEMAS for t in _relations(con, "table", schema)]
    views = _relations(con, "view", VIEW_SCHEMA)
    for v, _, _ in views:  # a view would show a pseudonymised column under its old name: refused before any copy
        hidden = [c for c, _, _ in _columns(con, VIEW_SCHEMA, v) if c in PSEUDONYMS]
        if hidden:
            raise RuntimeError(f"{VIEW_SCHEMA}.{v} shows {', '.join(hidden)}: the snapshot publishes "
                               f"{', '.join(PSEUDONYMS[c][0] for c in hidden)} instead; name that column in the view")
    selects = {}  # (schema, table) -> the SELECT list that copies it and the snapshot's columns
    for schema, t, _, _ in tables:
        columns = _columns(con, schema, t)
        personal = [c for c, _, _ in columns if PERSONAL_COLUMN.search(c)]
        if personal:
            raise RuntimeError(f"{schema}.{t} has columns that look personal ({', '.join(personal)}): "
                               "not published")
        selects[schema, t] = _select_list(columns)
    comments = {(schema, t): comment for schema, t, comment, _ in tables}
    # The previous snapshot is read where it is (read-only) and copied only when its fct_case_files can be carried
    # over; one that cannot be opened is not carried over (written anew, as the first one).
    carried = analytics_db.exists() and CARRIED_OVER in selects and _can_carry_over(
        con, analytics_db, pii_key, comments[CARRIED_OVER], selects[CARRIED_OVER][1])
    if carried:
        shutil.copyfile(analytics_db, tmp)
    con.execute(f"ATTACH {_quote(str(tmp))} AS snapshot")
    crash_point("publish.attached")
    try:
        for kind, schema, name in _snapshot_relations(con):  # the copy's other relations are made again
            if not (carried and (schema, name) == CARRIED_OVER):
                con.execute(f"DROP {kind} snapshot.{_ident(schema)}.{_ident(name)}")
        for schema in TABLE_SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS snapshot.{schema}")
        counts, written = {}, None
        for schema, t, comment, _ in tables:
            target, source = f"snapshot.{schema}.{_ident(t)}", f"{schema}.{_ident(t)}"
            select, published = selects[schema, t]
            if carried and (schema, t) == CARRIED_OVER:
                written = _carry_over(con, pii_key, target, source, select)
            else:
                con.execute(f"CREATE TABLE {target} AS SELECT {select} FROM {source}",
                            {KEY_PARAM: pii_key} if KEY_PARAM in select else None)
                _copy_comments(con, "TABLE", target, comment, published)
                if (schema, t) == CARRIED_OVER:
                    written = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            # marts tables keep their bare name in the counts (asset metadata rows.<table>)
            counts[t if schema == "marts" else f"{schema}.{t}"] = \
                con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            crash_point("publish.table")
        _create_views(con, views)
        con.execute("CHECKPOINT snapshot")
        crash_point("publish.checkpointed")
    finally:
        con.execute("DETACH snapshot")
    crash_point("publish.detached")
    os.replace(tmp, analytics_db)
    crash_point("publish.replaced")
    return {"path": str(analytics_db), "tables": counts, "dossier_rows_written": written}


def _can_carry_over(con: duckdb.DuckDBPyConnection, previous: Path, pii_key: str, comment: str | None,
                    published: list[tuple[str, str | None, str]]) -> bool:
    """Whether the previous snapshot's fct_case_files can be updated rather than copied again: the same table
    comment, and columns, types and comments as it would be copied with (`published`, from _select_list); every row
    from the warehouse's current build key; its references made under this PII key (one dossier both hold, hashed
    again). The snapshot is attached read-only for the check."""
    schema, table = CARRIED_OVER
    source, old = f"{schema}.{_ident(table)}", f"previous.{schema}.{_ident(table)}"
    try:
        con.execute(f"ATTACH {_quote(str(previous))} AS previous (READ_ONLY)")
    except duckdb.Error:
        return False
    try:
        comments = {name: text for name, text, _ in _relations(con, "table", schema, "previous")}
        if table not in comments or comments[table] != comment \
                or _columns(con, schema, table, "previous") != published:
            return False
        keys = con.execute(f"SELECT DISTINCT build_key FROM {source} UNION SELECT DISTINCT build_key FROM {old}"
                           ).fetchall()
        if len(keys) != 1:
            return False
        code = con.execute(f"SELECT dossier_code FROM {source} SEMI JOIN (SELECT DISTINCT merged_load_id FROM {old}) "
                           "s USING (merged_load_id) LIMIT 1").fetchone()
        return code is not None and con.execute(
            f"SELECT count(*) > 0 FROM {old} WHERE dossier_ref = {pii_hash_sql('$code')}",
            {KEY_PARAM: pii_key, "code": code[0]}).fetchone()[0]
    finally:
        con.execute("DETACH previous")


def _carry_over(con: duckdb.DuckDBPyConnection, pii_key: str, target: str, source: str, select: str) -> int:
    """Rewrite in the carried-over table the dossiers of the loads it has not seen (`select`: the SELECT list that
    copies a row); the rows written. When the row counts still differ (dossiers deleted from the warehouse by hand),
    the table is written again whole."""
    con.execute("CREATE OR REPLACE TEMP TABLE unseen_loads AS SELECT DISTINCT merged_load_id FROM "
                f"{source} EXCEPT SELECT DISTINCT merged_load_id FROM {target}")
    con.execute(f"DELETE FROM {target} WHERE dossier_ref IN (SELECT {pii_hash_sql('dossier_code')} FROM {source} "
                "SEMI JOIN unseen_loads USING (merged_load_id))", {KEY_PARAM: pii_key})
    written = con.execute(f"INSERT INTO {target} SELECT {select} FROM {source} SEMI JOIN unseen_loads "
                          "USING (merged_load_id)", {KEY_PARAM: pii_key}).fetchone()[0]
    if con.execute(f"SELECT (SELECT count(*) FROM {target}) <> (SELECT count(*) FROM {source})").fetchone()[0]:
        con.execute(f"DELETE FROM {target}")
        written = con.execute(f"INSERT INTO {target} SELECT {select} FROM {source}", {KEY_PARAM: pii_key}).fetchone()[0]
    con.execute("DROP TABLE unseen_loads")
    return written


def _create_views(con: duckdb.DuckDBPyConnection, views: list[tuple[str, str | None, str | None]]) -> None:
    """The bao_cao views of the warehouse, created inside the attached snapshot from the SQL DuckDB keeps for them
    (`CREATE VIEW bao_cao.x AS ... FROM marts.y ...`: no database named, so they bind to the snapshot's marts)."""
    current_db, current_schema = con.execute("SELECT current_database(), current_schema()").fetchone()
    columns = {v: _columns(con, VIEW_SCHEMA, v) for v, _, _ in views}
    con.execute("USE snapshot")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {VIEW_SCHEMA}")
        # In the view's schema: DuckLake keeps a view's SQL without its schema (`CREATE VIEW x AS ...`).
        con.execute(f"USE snapshot.{VIEW_SCHEMA}")
        for view, comment, sql in views:
            if f"{current_db}." in sql or f'"{current_db}".' in sql:
                raise RuntimeError(f"bao_cao.{view} names the warehouse database ({current_db}): it would not "
                                   "bind to the snapshot's marts")
            con.execute(sql)
            _copy_comments(con, "VIEW", f"{VIEW_SCHEMA}.{_ident(view)}", comment, columns[view])
    finally:
        con.execute(f"USE {_ident(current_db)}.{_ident(current_schema)}")


def open_snapshot(analytics_db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the analysts' snapshot."""
    return configure(duckdb.connect(str(analytics_db), read_only=True))
