"""Analyst views: the headline marts under Vietnamese column names, in schema `bao_cao` of the analytics snapshot.

One `.sql` file per view in warehouse/views/, run in name order. Each file starts with a header comment, like the
marts: `-- bao_cao.x: Vietnamese title | English description` (continued up to the first `column` line) and one
`-- column "Tên cột": source_column | English meaning` line per column; they become the COMMENTs of the view and of
its columns (`source_column` is named in the comment, so an analyst can go back to the mart).

The view SQL refers to `marts.x` without a database name. DuckDB keeps the view's SQL text and binds it, when the
view is queried, inside the database that holds the view; so the views stay right when the snapshot written through
an ATTACH under a temporary alias is later opened on its own (or attached under any other name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from warehouse.db import sql_files, sql_text

SCHEMA = "bao_cao"

_VIEW = re.compile(r"CREATE OR REPLACE VIEW\s+bao_cao\.([a-z_0-9]+)\s+AS", re.I)
_SOURCE = re.compile(r"\bFROM\s+(marts\.[a-z_0-9]+)", re.I)
_COLUMN = re.compile(r'column "([^"]+)": ([a-z_0-9]+) \| (.*)')


@dataclass(frozen=True)
class ViewDoc:
    view: str                       # bao_cao.x
    source: str                     # marts.y
    description: str
    columns: dict[str, str]         # Vietnamese column name -> comment
    sql: str


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_docs() -> list[ViewDoc]:
    """The views of warehouse/views/*.sql with their header documentation, in the order they are created."""
    docs = []
    for name in sql_files("views"):
        text = sql_text("views", name)
        view = _VIEW.search(text)
        source = _SOURCE.search(text)
        if not view or not source:
            raise ValueError(f"warehouse/views/{name}: expected CREATE OR REPLACE VIEW bao_cao.<name> AS ... "
                             "FROM marts.<table>")
        full = f"{SCHEMA}.{view.group(1)}"
        desc_lines: list[str] = []
        columns: dict[str, str] = {}
        for line in text.splitlines():
            if not line.startswith("--"):
                continue
            line = line[2:].strip()
            m = _COLUMN.match(line)
            if m:
                columns[m.group(1)] = f"{m.group(3)} ({source.group(1)}.{m.group(2)})"
            elif line.startswith("column "):
                raise ValueError(f"warehouse/views/{name}: cannot read the column line {line!r}")
            elif not columns:
                desc_lines.append(line)
        desc = " ".join(desc_lines)
        if desc.startswith(full + ":"):
            desc = desc[len(full) + 1:].strip()
        docs.append(ViewDoc(full, source.group(1), desc, columns, text))
    return docs


def create_views(con: duckdb.DuckDBPyConnection, database_alias: str) -> list[str]:
    """Create (or replace) the bao_cao views, with their comments, inside the database attached as `database_alias`
    on `con` (which must already hold the marts tables). Returns the views' names. The connection's current database
    and schema are restored afterwards."""
    current_db, current_schema = con.execute("SELECT current_database(), current_schema()").fetchone()
    # Unqualified names in the view files (bao_cao.x, marts.y) must resolve inside the target database.
    con.execute(f"USE {_quote_ident(database_alias)}")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        created = []
        for doc in view_docs():
            con.execute(doc.sql)
            con.execute(f"COMMENT ON VIEW {doc.view} IS {_quote_literal(doc.description)}")
            for column, comment in doc.columns.items():
                con.execute(f"COMMENT ON COLUMN {doc.view}.{_quote_ident(column)} IS {_quote_literal(comment)}")
            created.append(doc.view)
        return created
    finally:
        con.execute(f"USE {_quote_ident(current_db)}.{_quote_ident(current_schema)}")
