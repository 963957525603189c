"""Publish: write the analysts' snapshot (HOSO_ANALYTICS_DB) and swap it in atomically.

The snapshot is a separate DuckDB file holding the marts only (no personal data: the marts carry none, and the
check below refuses a column named like one). It is written under a temporary name and renamed over the old one, so
an analyst who has the old file open keeps reading a complete snapshot, never blocks the pipeline, and the next
connection sees the new one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from warehouse.db import configure, crash_point
from warehouse.marts import mart_docs
from warehouse.views import create_views

PERSONAL_COLUMN = re.compile(r"(owner|phone|email|address|handler|_hash$|id_number|chu_ho_so)", re.I)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    docs = {d.table: d for d in mart_docs()}
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'marts' "
        "ORDER BY table_name").fetchall()]
    con.execute(f"ATTACH {_quote(str(tmp))} AS snapshot")
    crash_point("publish.attached")
    try:
        con.execute("CREATE SCHEMA snapshot.marts")
        counts = {}
        for t in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = 'marts' AND table_name = ?", [t]).fetchall()]
            personal = [c for c in cols if PERSONAL_COLUMN.search(c)]
            if personal:
                raise RuntimeError(f"marts.{t} has columns that look personal ({', '.join(personal)}): not published")
            con.execute(f"CREATE TABLE snapshot.marts.{t} AS SELECT * FROM marts.{t}")
            doc = docs.get(f"marts.{t}")
            if doc:
                con.execute(f"COMMENT ON TABLE snapshot.marts.{t} IS {_quote(doc.description)}")
                for c in cols:
                    if c in doc.columns:
                        con.execute(f"COMMENT ON COLUMN snapshot.marts.{t}.{c} IS {_quote(doc.columns[c])}")
            counts[t] = con.execute(f"SELECT count(*) FROM snapshot.marts.{t}").fetchone()[0]
            crash_point("publish.table")
        create_views(con, "snapshot")
        con.execute("CHECKPOINT snapshot")
        crash_point("publish.checkpointed")
    finally:
        con.execute("DETACH snapshot")
    crash_point("publish.detached")
    os.replace(tmp, analytics_db)
    crash_point("publish.replaced")
    return {"path": str(analytics_db), "tables": counts}


def open_snapshot(analytics_db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the analysts' snapshot."""
    return configure(duckdb.connect(str(analytics_db), read_only=True))
