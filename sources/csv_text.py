"""Read a CSV export as text: UTF-8 (BOM optional), comma separated, `"`-quoted, every column a string.

Nothing is auto-typed (codes such as "01" stay strings). The result carries `ROW_INDEX` (0-based data row after the
header) and has rows whose cells are all blank removed. Bad input raises SourceError with a clear reason.

Before Polars sees the bytes, `scan_csv` reads the file once, streaming, in constant memory (sources/limits.py):
size, what the file really is (an image, a ZIP, an HTML page, UTF-16 ...), strict UTF-8, NUL bytes, the length of
each record and field, unterminated or misplaced quotes, the header's width and separator, rows with more cells than
the header. Its messages give the line number, never a value (a value may be personal).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from polars.exceptions import ComputeError, NoDataError, PolarsError

from sources import files, limits
from sources.errors import SourceError
from sources.labels import WHITESPACE
from sources.sniff import HEAD_BYTES, describe

ROW_INDEX = "__source_row"


NOT_UTF8 = "not UTF-8 text (the exports are UTF-8 with a BOM; re-save the file as CSV UTF-8)"
_OTHER_SEPARATORS = {";": "';'", "\t": "a tab", "|": "'|'"}


@dataclass
class CsvScan:
    header: list[str] = field(default_factory=list)  # the header cells as written (BOM removed)
    short_rows: int = 0  # data rows with fewer cells than the header (Polars fills them with nulls)
    blank_tails: int = 0  # data rows with more cells than the header, the extra ones all blank (trailing commas)
    lines: int = 0
    size: int = 0  # bytes of content (decompressed for a .gz file)


class _Refuse(Exception):
    pass


def _lines(f, relpath: str, scan: CsvScan) -> Iterator[str]:
    """Physical lines, decoded as strict UTF-8, each at most MAX_CSV_RECORD_BYTES; NUL bytes refused."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    limit = limits.MAX_CSV_RECORD_BYTES
    while True:
        raw = f.readline(limit + 1)
        if not raw:
            break
        scan.lines += 1
        if len(raw) > limit:
            raise SourceError(
                relpath,
                f"line {scan.lines} is longer than {limits.mib(limit)} (limit MAX_CSV_RECORD_BYTES; "
                "a binary file, or a file without line breaks?)",
            )
        if b"\x00" in raw:
            raise SourceError(
                relpath, f"not UTF-8 text: it contains NUL bytes (line {scan.lines}; binary data or UTF-16?)"
            )
        try:
            text = decoder.decode(raw)
        except UnicodeDecodeError:
            raise SourceError(relpath, NOT_UTF8) from None
        if scan.lines == 1:
            text = text.removeprefix("\ufeff")
        yield text
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise SourceError(relpath, NOT_UTF8) from None


def scan_csv(path: Path, relpath: str) -> CsvScan:
    """One streaming pass over a CSV file; raises SourceError for a file Polars must not be given."""
    size = files.content_size(path, relpath, limits.MAX_CSV_BYTES, "MAX_CSV_BYTES", "a CSV export",
                              "a CSV with a header row")
    what = describe(files.content_head(path, relpath, HEAD_BYTES))
    if what is not None:
        if "UTF-16" in what or "UTF-32" in what:
            encoding = "UTF-32" if "UTF-32" in what else "UTF-16"
            raise SourceError(relpath, f"not UTF-8 text: {encoding} (re-save the file as CSV UTF-8)")
        if "HTML" in what or "XML" in what:
            raise SourceError(relpath, f"not CSV: the file is {what} (an error page saved as .csv?)")
        raise SourceError(relpath, f"not CSV text: the file is {what}")
    scan = CsvScan(size=size)
    max_field = min(csv.field_size_limit(), limits.MAX_FIELD_CHARS)  # csv raises at its own (global) limit
    with files.open_content(path, relpath) as f:
        reader = csv.reader(_lines(f, relpath, scan), delimiter=",", quotechar='"', doublequote=True, strict=True)
        record_start = 0
        try:
            for row in reader:
                record_start = reader.line_num
                if not row:
                    continue  # a blank line
                if not scan.header:
                    scan.header = _check_header(row, relpath, record_start)
                    continue
                if len(row) > len(scan.header):
                    if any(c.strip(WHITESPACE) for c in row[len(scan.header):]):
                        raise SourceError(
                            relpath,
                            f"line {record_start} has {len(row)} cells, the header has {len(scan.header)} "
                            "(an unquoted ',' inside a value?)",
                        )
                    scan.blank_tails += 1
                elif len(row) < len(scan.header):
                    scan.short_rows += 1
                if max(map(len, row)) > max_field:
                    raise _Refuse
        except csv.Error as error:
            text = str(error)
            line = reader.line_num
            if "field larger than field limit" in text:
                raise SourceError(
                    relpath,
                    f"a field starting after line {record_start} is longer than {max_field:,} characters "
                    "(MAX_FIELD_CHARS; a quote that is never closed?)",
                ) from None
            if "unexpected end of data" in text:
                raise SourceError(
                    relpath,
                    f"unterminated quoted field (a '\"' opened after line {record_start} is never closed; "
                    "a truncated file?)",
                ) from None
            if "new-line character seen in unquoted field" in text:
                raise SourceError(relpath, "line breaks are bare CR characters (re-save with CRLF or LF line ends)") from None
            raise SourceError(relpath, f"cannot be read as CSV: line {line}: {_csv_problem(text)}") from None
        except _Refuse:
            raise SourceError(
                relpath, f"line {reader.line_num} has a field longer than {max_field:,} characters (MAX_FIELD_CHARS)"
            ) from None
    return scan


def _check_header(row: list[str], relpath: str, line: int) -> list[str]:
    if len(row) > limits.MAX_COLUMNS:
        raise SourceError(
            relpath, f"the header row (line {line}) has {len(row):,} cells, more than {limits.MAX_COLUMNS} (MAX_COLUMNS)"
        )
    if len(row) == 1:
        for separator, name in _OTHER_SEPARATORS.items():
            if row[0].count(separator) >= 2:
                raise SourceError(
                    relpath, f"the header row is separated by {name}, expected ',' (re-save as comma-separated CSV)"
                )
    return row


# Python's csv module words its errors with these phrases; a reason repeats only them (never the file's text).
_CSV_PROBLEMS = ("expected after", "unexpected end of data", "line contains NUL", "new-line character seen",
                 "field larger than field limit")
_POLARS_PROBLEMS = {  # phrase of a Polars error -> what the reason says (Polars quotes values; they are not kept)
    "utf-8": "not UTF-8", "utf8": "not UTF-8", "malformed": "malformed", "could not parse": "could not parse",
    "found more fields than defined": "a row with more cells than the header",
}


def _csv_problem(text: str) -> str:
    found = next((p for p in _CSV_PROBLEMS if p in text), None)
    return {"expected after": "',' expected after '\"'"}.get(found, found) if found else "malformed CSV"


def _polars_reason(error: BaseException) -> str:
    """What Polars' error is about, from a fixed list of phrases, and its class: never its text, which may quote a
    value (a value may be personal)."""
    text = str(error).lower()
    found = next((said for phrase, said in _POLARS_PROBLEMS.items() if phrase in text), None)
    return f"{found} ({type(error).__name__})" if found else type(error).__name__


@dataclass
class CsvTable:
    df: pl.DataFrame  # every column a string, + ROW_INDEX; blank rows removed
    headers: list[str]  # the header cells as written in the file, in order (a repeated header stays repeated)
    columns: list[str]  # the frame's column for each header (Polars renames a repeated one "X_duplicated_0")
    scan: CsvScan


def read_csv_table(path: Path, relpath: str) -> CsvTable:
    """The CSV as strings after `scan_csv`, with the header as written."""
    scan = scan_csv(path, relpath)
    try:
        df = pl.read_csv(
            files.read_content(path, relpath, scan.size),  # the path, or the content of a .gz file
            has_header=True,
            separator=",",
            quote_char='"',
            infer_schema=False,
            encoding="utf8",
            empty_string_is_null=False,
            row_index_name=ROW_INDEX,
            raise_if_empty=True,
            truncate_ragged_lines=scan.blank_tails > 0,  # the scan checked that the cells cut are blank
            glob=False,  # the path is a path, never a pattern ('[', '*', '?' in a folder name)
        )
    except NoDataError:
        raise SourceError(relpath, "empty file (no header row), expected a CSV with a header row") from None
    except ComputeError as error:
        text = _polars_reason(error)
        if "utf-8" in text.lower() or "utf8" in text.lower():
            raise SourceError(relpath, NOT_UTF8) from None
        if "malformed" in text.lower() or "could not parse" in text.lower():
            text = f"a '\"' inside an unquoted value, or text after a closing quote? ({text})"
        raise SourceError(relpath, f"cannot be read as CSV: {text}") from None
    except PolarsError as error:
        raise SourceError(relpath, f"cannot be read as CSV: {_polars_reason(error)}") from None
    columns = [c for c in df.columns if c != ROW_INDEX]
    if not columns or not any(c.strip(WHITESPACE) for c in columns):
        raise SourceError(relpath, "no header row, expected a CSV with a header row")
    headers = scan.header if len(scan.header) == len(columns) else list(columns)
    df = df.with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    if df.height:
        not_blank = pl.any_horizontal(
            [(pl.col(c).str.strip_chars(WHITESPACE).str.len_bytes() > 0).fill_null(False) for c in columns]
        )
        df = df.filter(not_blank)
    return CsvTable(df=df, headers=headers, columns=columns, scan=scan)
