"""Parser of provincial-system exports: `provincial/*.csv` (variant A) and `provincial/*.xlsx` (title block +
variant B) -> the canonical `dossiers` frame (contract §2.2, §3.1).

Both formats become a frame of strings under canonical column names (via labels.HEADER_ALIASES), then one Polars
pipeline types it: labels -> codes, dd/MM/yyyy[ HH:mm:ss] local dates, keyed hashes of personal columns. Columns
these exports do not carry (field_code, applicant_type, refused_at, portal flags, ...) are null.
source_row is the data row index (0-based) after the header; blank rows are skipped.
"""

from __future__ import annotations

import zipfile
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
from sources.values import code, local_timestamp, lookup, raw
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

    out = df.select(
        code("dossier_code").alias("dossier_code"),
        code("procedure_code").alias("procedure_code"),
        code("procedure_name").alias("procedure_name"),
        null("field_code"),
        code("field_name").alias("field_name"),
        code("unit_name").alias("unit_name"),
        pl.when(code("channel").is_null())
        .then(pl.lit(EMPTY_CHANNEL, dtype=pl.Int8))
        .otherwise(lookup("channel", _CHANNELS, pl.Int8))
        .alias("channel"),
        raw("channel").alias("channel_raw"),
        lookup("status", _STATUSES, pl.Int8).alias("status"),
        raw("status").alias("status_raw"),
        null("applicant_type"),
        *[local_timestamp(name).alias(name) for name in TIMESTAMP_FIELDS],
        *[raw(name).alias(f"{name}_raw") for name in TIMESTAMP_FIELDS],
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
        code("dossier_code").str.to_lowercase().str.contains("test", literal=True).fill_null(False).alias("is_test"),
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
    """An XLSX cell as the text an export would show; real dates as dd/MM/yyyy HH:mm:ss."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
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


def read_xlsx_strings(path: Path, relpath: str) -> tuple[list[str | None], list[list[str | None]], list[int]]:
    """(header cells, data rows as text, data row indexes) of the first sheet that has a header row.

    The zip container is checked first (sources/xlsx_zip.py: zip bombs, files that are not XLSX). Rows are read at
    most MAX_COLUMNS wide (the header search) or header-wide (the data), and at most MAX_XLSX_ROWS deep, so a
    sparse sheet (a cell in column XFD, a row numbered in the billions) cannot expand into endless empty cells.
    """
    from openpyxl import load_workbook  # imported here: only XLSX files need it

    check_xlsx(path, relpath)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SourceError(relpath, f"{NOT_XLSX} ({type(error).__name__})") from None
    except Exception as error:  # openpyxl raises its own InvalidFileException and friends
        raise SourceError(relpath, f"{NOT_XLSX} ({type(error).__name__})") from None
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # some writers record a wrong sheet size; read every row
            header, header_row = None, 0
            rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=limits.MAX_COLUMNS, values_only=True)
            for number, row in enumerate(rows, start=1):
                if _is_header(row):
                    header, header_row = [cell_text(v) for v in row], number
                    break
            if header is None:
                continue
            while header and (header[-1] is None or not header[-1].strip(WHITESPACE)):
                header.pop()
            width = len(header)
            data, indexes = [], []
            rows = sheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
            for index, row in enumerate(rows):
                if header_row + 1 + index > limits.MAX_XLSX_ROWS:
                    raise SourceError(
                        relpath,
                        f"the sheet goes past row {limits.MAX_XLSX_ROWS:,} (MAX_XLSX_ROWS, Excel's own limit)",
                    )
                cells = [cell_text(v) for v in row[:width]]
                if not any(c is not None and c.strip(WHITESPACE) for c in cells):
                    continue  # blank row (trailing rows, spacer rows)
                cells.extend([None] * (width - len(cells)))
                data.append(cells)
                indexes.append(index)
            return header, data, indexes
    except SourceError:
        raise
    except Exception as error:  # a corrupt sheet inside a valid zip
        raise SourceError(relpath, f"{NOT_XLSX} ({type(error).__name__}: {str(error)[:200]})") from None
    finally:
        workbook.close()
    aliases = " or ".join(repr(a) for a in HEADER_ALIASES["dossier_code"])
    raise SourceError(
        relpath, f"no header row: no sheet has a row with 'STT' and {aliases} in its first {HEADER_SEARCH_ROWS} rows"
    )


def parse_xlsx(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    header, data, indexes = read_xlsx_strings(source.path, source.relpath)
    headers = resolve_headers(header, HEADER_ALIASES, REQUIRED_HEADERS, source.relpath)
    columns = {ROW_INDEX: pl.Series(ROW_INDEX, indexes, dtype=pl.Int64)}
    for canonical, i in headers.columns.items():
        columns[canonical] = pl.Series(canonical, [row[i] for row in data], dtype=pl.String)
    strings = pl.DataFrame(columns)
    return {"dossiers": canonical_dossiers(strings, source, "provincial_xlsx", pii_key)}, headers.notes
