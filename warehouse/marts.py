"""Marts: build the analysts' tables (warehouse/marts/*.sql, in name order) inside the warehouse.

Every mart is parameterised by the reporting window, the home province, the online-ratio definition (A-D) and the
commune target; the definition is named in every output that depends on it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb

from warehouse.db import crash_point, sql_files, sql_text

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEFINITIONS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class MartParams:
    window_start: datetime = datetime(2025, 7, 1, 0, 0, tzinfo=VN)
    window_end: datetime = datetime(2025, 8, 6, 16, 0, tzinfo=VN)
    home_province: str = "40"
    ratio_definition: str = "A"
    commune_target_pct: float = 70.0

    def __post_init__(self) -> None:
        if self.ratio_definition not in DEFINITIONS:
            raise ValueError(f"ratio_definition must be one of {', '.join(DEFINITIONS)}, not {self.ratio_definition!r}")
        if self.window_start.tzinfo is None or self.window_end.tzinfo is None:
            raise ValueError("the reporting window needs time-zone-aware bounds")
        if self.window_end <= self.window_start:
            raise ValueError("the reporting window ends before it starts")


def build_marts(con: duckdb.DuckDBPyConnection, params: MartParams = MartParams()) -> dict[str, dict]:
    """Rebuild every mart in one transaction; returns {table: {"rows": n, "seconds": s}}."""
    con.execute("SET VARIABLE window_start = ?::TIMESTAMPTZ", [params.window_start])
    con.execute("SET VARIABLE window_end = ?::TIMESTAMPTZ", [params.window_end])
    con.execute("SET VARIABLE home_province = ?", [params.home_province])
    con.execute("SET VARIABLE ratio_definition = ?", [params.ratio_definition])
    con.execute("SET VARIABLE commune_target_pct = ?", [params.commune_target_pct])
    stats: dict[str, dict] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for name in sql_files("marts"):
            t0 = time.perf_counter()
            text = sql_text("marts", name)
            con.execute(text)
            crash_point("marts.table")  # fault injection for tests/test_crash_safety.py (inside the transaction)
            table = mart_table(text)
            if table:
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                stats[table] = {"rows": rows, "seconds": round(time.perf_counter() - t0, 4)}
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return stats


def mart_table(sql: str) -> str | None:
    m = re.search(r"CREATE OR REPLACE TABLE\s+([a-z_]+\.[a-z_]+)", sql)
    return m.group(1) if m else None


@dataclass(frozen=True)
class MartDoc:
    table: str
    description: str
    columns: dict[str, str]


def mart_docs() -> list[MartDoc]:
    """The table and column comments, read from the header comment of each mart's SQL file:
    the first line `-- marts.x: description` (continued on the following `--` lines up to the first `column` line),
    and `-- column name: Vietnamese label | English meaning`."""
    docs = []
    for name in sql_files("marts"):
        text = sql_text("marts", name)
        table = mart_table(text)
        if not table:
            continue
        header = [line[2:].strip() for line in text.splitlines() if line.startswith("--")]
        desc_lines, columns = [], {}
        for line in header:
            m = re.match(r"column ([a-z_0-9]+): (.*)", line)
            if m:
                columns[m.group(1)] = m.group(2)
            elif not columns:
                desc_lines.append(line)
        desc = " ".join(desc_lines)
        desc = desc.split(":", 1)[1].strip() if desc.startswith(table) else desc
        docs.append(MartDoc(table, desc, columns))
    return docs
