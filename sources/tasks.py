"""Parsers of the task-monitoring exports (contract §2.3, §3.3):

- `tasks/nq57-xa-YYYYMMDD.csv` -> `commune_tasks` (snapshot date = the file-name date),
- `tasks/nhiem-vu-tinh-YYYYMMDD.csv` -> `province_tasks` (snapshot date = the file-name date),
- `tasks/xep-hang-tinh.csv` -> `province_snapshot` (snapshot date = the row's `Ngày`).

Every parser takes the PII key like the others (sources/registry.py); task files carry no personal values, so it is
not used. Every listed header is required. Values that do not parse (a date, a percentage, a status label) become null and
are counted in the notes; dates are d/M/yyyy with a four-digit year (a two-digit year does not parse). Codes are
identifiers and names are free text as sources/text.py says (invisible characters at the ends removed; ID, phone and
e-mail patterns in names scrubbed).
"""

from __future__ import annotations

import polars as pl

from sources.csv_text import ROW_INDEX, read_csv_table
from sources.files import SourceFile
from sources.headers import resolve_headers
from sources.labels import (
    COMMUNE_TASK_HEADERS,
    PROVINCE_SNAPSHOT_HEADERS,
    PROVINCE_TASK_HEADERS,
    TASK_STATUS_LABELS,
    normalised_table,
)
from sources.lineage import lineage_exprs
from sources.schema import conform
from sources.text import identifier_expr, scrub_expr, strict_local_date
from sources.values import code, lookup, unparsed_count

SOURCE_FORMAT = "tasks_csv"


def local_date(column: str) -> pl.Expr:
    """d/M/yyyy only (sources/text.py): a two-digit year is unreadable (null, counted in the notes), never 0025."""
    return strict_local_date(code(column))


def text(column: str) -> pl.Expr:
    """Free text that is kept (names of communes, tasks, units; labels): identifiers scrubbed (sources/text.py)."""
    return scrub_expr(code(column))
_TASK_STATUS = normalised_table(TASK_STATUS_LABELS)


def _read(source: SourceFile, headers: dict[str, str]) -> tuple[pl.DataFrame, list[str]]:
    """The CSV under canonical column names (+ ROW_INDEX), and the header notes."""
    table = read_csv_table(source.path, source.relpath)
    aliases = {canonical: (header,) for canonical, header in headers.items()}
    resolved = resolve_headers(table.headers, aliases, list(headers), source.relpath)
    strings = table.df.select(
        pl.col(ROW_INDEX), *[pl.col(table.columns[i]).alias(canonical) for canonical, i in resolved.columns.items()]
    )
    return strings, resolved.notes


def _check(df: pl.DataFrame, source: SourceFile, checks: dict[str, tuple[str, pl.Expr]]) -> list[str]:
    """Notes for values that were present but did not parse: {column: (header, parsed expression)}."""
    notes = []
    for column, (header, parsed) in checks.items():
        bad = unparsed_count(df, column, parsed)
        if bad:
            notes.append(f"{source.relpath}: {bad} row(s) with an unreadable {header!r} (kept as null)")
    return notes


def _lineage(source: SourceFile) -> list[pl.Expr]:
    return [pl.col(ROW_INDEX).cast(pl.Int64).alias("source_row"), *lineage_exprs(source, SOURCE_FORMAT)]


def parse_commune_tasks(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    df, notes = _read(source, COMMUNE_TASK_HEADERS)
    is_done = lookup("status_label", _TASK_STATUS, pl.Boolean)
    notes += _check(
        df,
        source,
        {
            "status_label": (COMMUNE_TASK_HEADERS["status_label"], is_done),
            "updated_on": (COMMUNE_TASK_HEADERS["updated_on"], local_date("updated_on")),
        },
    )
    out = df.select(
        pl.lit(source.snapshot_date, dtype=pl.Date).alias("snapshot_date"),
        identifier_expr("commune_code").alias("commune_code"),
        text("commune_name").alias("commune_name"),
        identifier_expr("task_code").alias("task_code"),
        text("task_name").alias("task_name"),
        is_done.alias("is_done"),
        local_date("updated_on").alias("updated_on"),
        *_lineage(source),
    )
    return {"commune_tasks": conform(out, "commune_tasks")}, notes


def parse_province_tasks(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    df, notes = _read(source, PROVINCE_TASK_HEADERS)
    is_done = lookup("status_label", _TASK_STATUS, pl.Boolean)
    notes += _check(
        df,
        source,
        {
            "status_label": (PROVINCE_TASK_HEADERS["status_label"], is_done),
            "deadline": (PROVINCE_TASK_HEADERS["deadline"], local_date("deadline")),
            "done_on": (PROVINCE_TASK_HEADERS["done_on"], local_date("done_on")),
        },
    )
    out = df.select(
        identifier_expr("task_code").alias("task_code"),
        text("task_name").alias("task_name"),
        text("lead_unit").alias("lead_unit"),
        local_date("deadline").alias("deadline"),
        text("status_label").alias("status_label"),
        is_done.alias("is_done"),
        local_date("done_on").alias("done_on"),
        pl.lit(source.snapshot_date, dtype=pl.Date).alias("snapshot_date"),
        *_lineage(source),
    )
    return {"province_tasks": conform(out, "province_tasks")}, notes


def _percent(column: str) -> pl.Expr:
    return code(column).cast(pl.Decimal(5, 2), strict=False)


def parse_province_snapshot(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    df, notes = _read(source, PROVINCE_SNAPSHOT_HEADERS)
    h = PROVINCE_SNAPSHOT_HEADERS
    notes += _check(
        df,
        source,
        {
            "snapshot_date": (h["snapshot_date"], local_date("snapshot_date")),
            "online_ratio_pct": (h["online_ratio_pct"], _percent("online_ratio_pct")),
            "commune_task_pct": (h["commune_task_pct"], _percent("commune_task_pct")),
        },
    )
    out = df.select(
        local_date("snapshot_date").alias("snapshot_date"),
        identifier_expr("province_code").alias("province_code"),
        text("province_name").alias("province_name"),
        _percent("online_ratio_pct").alias("online_ratio_pct"),
        _percent("commune_task_pct").alias("commune_task_pct"),
        *_lineage(source),
    )
    return {"province_snapshot": conform(out, "province_snapshot")}, notes
