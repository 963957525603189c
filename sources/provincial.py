"""Parser of provincial-system exports: `provincial/*.csv` (variant A) and `provincial/*.xlsx` (title block +
variant B) -> the canonical `dossiers` frame (contract §2.2, §3.1).

Both formats become a frame of strings under canonical column names (via labels.HEADER_ALIASES), then one Polars
pipeline types it: labels -> codes, dd/MM/yyyy[ HH:mm:ss] local dates, keyed hashes of personal columns. Columns
these exports do not carry (field_code, applicant_type, refused_at, portal flags, ...) are null.
source_row is the data row index (0-based) after the header; blank rows are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from sources import limits
from sources.csv_text import ROW_INDEX, read_csv_table
from sources.errors import SourceError
from sources.files import SourceFile
from sources.headers import resolve_headers
from sources.labels import (
    CHANNEL_LABELS,
    EMPTY_CHANNEL,
    HEADER_ALIASES,
    REQUIRED_HEADERS,
    STATUS_LABELS,
    WHITESPACE,
    normalise,
    normalised_table,
)
from sources.lineage import lineage_exprs
from sources.pii import pii_hash_expr
from sources.schema import CANONICAL_SCHEMAS, TIMESTAMP_FIELDS, conform
from sources.text import identifier_expr, scrub_expr, strict_local_timestamp
from sources.values import code, lookup, raw
from sources.xlsx_zip import NOT_XLSX, check_xlsx

HEADER_SEARCH_ROWS = 50  # the XLSX header must be within the first rows of the sheet

_CHANNELS = normalised_table(CHANNEL_LABELS)
_STATUSES = normalised_table(STATUS_LABELS)
_DOSSIER_CODE_ALIASES = {normalise(a) for a in HEADER_ALIASES["dossier_code"]}


def canonical_dossiers(strings: pl.DataFrame, source: SourceFile, source_format: str, pii_key: str) -> pl.DataFrame:
    """Frame of strings under canonical column names (+ ROW_INDEX) -> canonical `dossiers`."""
    absent = [c for c in HEADER_ALIASES if c not in strings.columns] + ["refused_at"]
    df = strings.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in absent])
    schema = CANONICAL_SCHEMAS["dossiers"]

    def null(name: str) -> pl.Expr:
        return pl.lit(None, dtype=schema[name]).alias(name)

    def text(name: str) -> pl.Expr:  # free text that is kept: trimmed, identifiers scrubbed (sources/text.py)
        return scrub_expr(code(name))

    def raw_text(name: str) -> pl.Expr:
        return scrub_expr(raw(name))

    def date_raw(name: str) -> pl.Expr:  # as read when it parsed; scrubbed when it did not (a misplaced value)
        return pl.when(strict_local_timestamp(code(name)).is_null()).then(raw_text(name)).otherwise(raw(name))

    out = df.select(
        identifier_expr("dossier_code").alias("dossier_code"),
        identifier_expr("procedure_code").alias("procedure_code"),
        text("procedure_name").alias("procedure_name"),
        null("field_code"),
        text("field_name").alias("field_name"),
        text("unit_name").alias("unit_name"),
        pl.when(code("channel").is_null())
        .then(pl.lit(EMPTY_CHANNEL, dtype=pl.Int8))
        .otherwise(lookup("channel", _CHANNELS, pl.Int8))
        .alias("channel"),
        raw_text("channel").alias("channel_raw"),
        lookup("status", _STATUSES, pl.Int8).alias("status"),
        raw_text("status").alias("status_raw"),
        null("applicant_type"),
        *[strict_local_timestamp(code(name)).alias(name) for name in TIMESTAMP_FIELDS],
        *[date_raw(name).alias(f"{name}_raw") for name in TIMESTAMP_FIELDS],
        null("result_form"),
        null("submit_place"),
        null("has_digitised_component"),
        null("vneid_verified"),
        null("paid_online"),
        null("owner_id_hash"),
        null("owner_id_length"),
        pii_hash_expr("owner_name", pii_key).alias("owner_name_hash"),
        pii_hash_expr("owner_phone", pii_key).alias("phone_hash"),
        null("email_hash"),
        pii_hash_expr("owner_address", pii_key).alias("address_hash"),
        identifier_expr("dossier_code").str.to_lowercase().str.contains("test", literal=True).fill_null(False)
        .alias("is_test"),
        pl.col(ROW_INDEX).cast(pl.Int64).alias("source_row"),
        *lineage_exprs(source, source_format),
    )
    return conform(out, "dossiers")


# ---- CSV (variant A) --------------------------------------------------------------------------------------------


def parse_csv(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    table = read_csv_table(source.path, source.relpath)
    headers = resolve_headers(table.headers, HEADER_ALIASES, REQUIRED_HEADERS, source.relpath)
    strings = table.df.select(
        pl.col(ROW_INDEX), *[pl.col(table.columns[i]).alias(canonical) for canonical, i in headers.columns.items()]
    )
    notes = list(headers.notes)
    if table.scan.short_rows:
        notes.append(f"{source.relpath}: {table.scan.short_rows} row(s) with fewer cells than the header (missing cells read as empty)")
    return {"dossiers": canonical_dossiers(strings, source, "provincial_csv", pii_key)}, notes


# ---- XLSX (title block + variant B) -----------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """An XLSX cell as the text an export would show; real dates as dd/MM/yyyy HH:mm:ss (the year always with four
    digits: a date cell of year 25 reads 0025, which the plausibility check refuses, never 25)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_header(row: tuple) -> bool:
    names = {normalise(cell_text(v)) for v in row}
    return "stt" in names and bool(names & _DOSSIER_CODE_ALIASES)


@dataclass
class Sheet:
    """One worksheet that has the export's header row: its header cells, its data rows as text, and each row's
    source_row (data rows are numbered across the workbook: a later sheet goes on where the one before ended)."""

    name: str
    header: list[str | None]
    rows: list[list[str | None]] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)


def _sheet_name(name: str) -> str:
    """A sheet name for a note: printable, at most 40 characters."""
    clean = "".join(c if c.isprintable() else "?" for c in str(name))
    return repr(clean[:40] + ("..." if len(clean) > 40 else ""))


def read_xlsx_sheets(path: Path, relpath: str) -> tuple[list[Sheet], list[str]]:
    """Every worksheet that has a header row (a row that names `STT` and a dossier-code alias within its first
    HEADER_SEARCH_ROWS rows), hidden ones included, in workbook order; and notes naming the sheets not read (empty,
    or without such a header: a notes sheet, a summary) and the hidden sheets read. No records are dropped without
    a word. A workbook with no such sheet is refused, naming its sheets.

    The zip container is checked first (sources/xlsx_zip.py: zip bombs, files that are not XLSX). Rows are read at
    most MAX_COLUMNS wide (the header search) or header-wide (the data), and at most MAX_XLSX_ROWS deep, so a
    sparse sheet (a cell in column XFD, a row numbered in the billions) cannot expand into endless empty cells.
    """
    from openpyxl import load_workbook  # imported here: only XLSX files need it

    check_xlsx(path, relpath)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # zipfile, KeyError, OSError, ValueError, openpyxl's InvalidFileException and friends
        raise SourceError(relpath, f"{NOT_XLSX} ({type(error).__name__})") from None
    sheets: list[Sheet] = []
    notes: list[str] = []
    names: list[str] = []
    next_row = 0
    try:
        for ws in workbook.worksheets:
            names.append(_sheet_name(ws.title))
            hidden = getattr(ws, "sheet_state", "visible") != "visible"
            ws.reset_dimensions()  # some writers record a wrong sheet size; read every row
            header, header_row, filled = None, 0, 0
            rows = ws.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=limits.MAX_COLUMNS, values_only=True)
            for number, row in enumerate(rows, start=1):
                if _is_header(row):
                    header, header_row = [cell_text(v) for v in row], number
                    break
                if any(c is not None and str(c).strip(WHITESPACE) for c in map(cell_text, row)):
                    filled += 1
            if header is None:
                if filled:
                    notes.append(f"{relpath}: sheet {_sheet_name(ws.title)} not read: no header row with 'STT' and a "
                                 f"dossier-code column in its first {HEADER_SEARCH_ROWS} rows (not export data)")
                else:
                    notes.append(f"{relpath}: sheet {_sheet_name(ws.title)} is empty, not read")
                continue
            while header and (header[-1] is None or not header[-1].strip(WHITESPACE)):
                header.pop()
            sheet = Sheet(ws.title, header)
            width = len(header)
            index = -1
            for index, row in enumerate(ws.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)):
                if header_row + 1 + index > limits.MAX_XLSX_ROWS:
                    raise SourceError(
                        relpath,
                        f"the sheet goes past row {limits.MAX_XLSX_ROWS:,} (MAX_XLSX_ROWS, Excel's own limit): "
                        f"sheet {_sheet_name(ws.title)}",
                    )
                cells = [cell_text(v) for v in row[:width]]
                if not any(c is not None and c.strip(WHITESPACE) for c in cells):
                    continue  # blank row (trailing rows, spacer rows)
                cells.extend([None] * (width - len(cells)))
                sheet.rows.append(cells)
                sheet.indexes.append(next_row + index)
            next_row += index + 1
            sheets.append(sheet)
            if hidden:
                notes.append(f"{relpath}: hidden sheet {_sheet_name(ws.title)} read ({len(sheet.rows)} records)")
    except SourceError:
        raise
    except Exception as error:  # a corrupt sheet inside a valid zip (the message may quote a cell: not kept)
        raise SourceError(relpath, f"{NOT_XLSX} ({type(error).__name__} in sheet {names[-1] if names else '?'})") from None
    finally:
        workbook.close()
    if not sheets:
        aliases = " or ".join(repr(a) for a in HEADER_ALIASES["dossier_code"])
        raise SourceError(
            relpath,
            f"no header row: no sheet has a row with 'STT' and {aliases} in its first {HEADER_SEARCH_ROWS} rows "
            f"(sheets: {', '.join(names) or 'none'})",
        )
    if len(sheets) > 1:
        read = ", ".join(f"{_sheet_name(sh.name)} ({len(sh.rows)})" for sh in sheets)
        notes.append(f"{relpath}: {len(sheets)} sheets of records read: {read}")
    return sheets, notes


def parse_xlsx(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    sheets, notes = read_xlsx_sheets(source.path, source.relpath)
    parts = []
    for sheet in sheets:
        try:
            headers = resolve_headers(sheet.header, HEADER_ALIASES, REQUIRED_HEADERS, source.relpath)
        except SourceError as error:
            if len(sheets) == 1:
                raise
            raise SourceError(source.relpath, f"sheet {_sheet_name(sheet.name)}: {error.reason}") from None
        if len(sheets) > 1:
            prefix = source.relpath + ": "
            notes += [f"{prefix}sheet {_sheet_name(sheet.name)}: {n.removeprefix(prefix)}" for n in headers.notes]
        else:
            notes += headers.notes
        columns = {ROW_INDEX: pl.Series(ROW_INDEX, sheet.indexes, dtype=pl.Int64)}
        for canonical, i in headers.columns.items():
            columns[canonical] = pl.Series(canonical, [row[i] for row in sheet.rows], dtype=pl.String)
        parts.append(pl.DataFrame(columns))
    strings = pl.concat(parts, how="diagonal") if len(parts) > 1 else parts[0]
    return {"dossiers": canonical_dossiers(strings, source, "provincial_xlsx", pii_key)}, notes
