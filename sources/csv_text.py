"""Read a CSV export as text: UTF-8 (BOM optional), comma separated, `"`-quoted, every column a string.

Nothing is auto-typed (codes such as "01" stay strings). The result carries `ROW_INDEX` (0-based data row after the
header) and has rows whose cells are all blank removed. Bad input raises SourceError with a clear reason.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
from polars.exceptions import ComputeError, NoDataError, PolarsError

from sources.errors import SourceError
from sources.labels import WHITESPACE

ROW_INDEX = "__source_row"


NOT_UTF8 = "not UTF-8 text (the exports are UTF-8 with a BOM; re-save the file as CSV UTF-8)"


def check_utf8(path: Path, relpath: str, chunk: int = 1 << 20) -> None:
    """Refuse a file that is not strict UTF-8 text (decoded in 1 MB chunks, constant memory, C speed).

    Polars alone is not enough: it decodes a header row lossily (U+FFFD) instead of failing.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as f:
        first = True
        while block := f.read(chunk):
            if first and block[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise SourceError(relpath, "not UTF-8 text: UTF-16 (re-save the file as CSV UTF-8)")
            first = False
            if b"\x00" in block:
                raise SourceError(relpath, "not UTF-8 text: it contains NUL bytes (UTF-16 or binary?)")
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                raise SourceError(relpath, NOT_UTF8) from None
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise SourceError(relpath, NOT_UTF8) from None


def read_csv_strings(path: Path, relpath: str) -> pl.DataFrame:
    if path.stat().st_size == 0:
        raise SourceError(relpath, "empty file (0 bytes), expected a CSV with a header row")
    check_utf8(path, relpath)
    try:
        df = pl.read_csv(
            path,
            has_header=True,
            separator=",",
            quote_char='"',
            infer_schema=False,
            encoding="utf8",
            empty_string_is_null=False,
            row_index_name=ROW_INDEX,
            raise_if_empty=True,
        )
    except NoDataError:
        raise SourceError(relpath, "empty file (no header row), expected a CSV with a header row") from None
    except ComputeError as error:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "utf-8" in text.lower() or "utf8" in text.lower():
            raise SourceError(relpath, NOT_UTF8) from None
        raise SourceError(relpath, f"cannot be read as CSV: {text}") from None
    except PolarsError as error:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SourceError(relpath, f"cannot be read as CSV: {text}") from None
    value_columns = [c for c in df.columns if c != ROW_INDEX]
    if not value_columns or not any(c.strip(WHITESPACE) for c in value_columns):
        raise SourceError(relpath, "no header row, expected a CSV with a header row")
    df = df.with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    if df.height == 0:
        return df
    not_blank = pl.any_horizontal(
        [(pl.col(c).str.strip_chars(WHITESPACE).str.len_bytes() > 0).fill_null(False) for c in value_columns]
    )
    return df.filter(not_blank)


def header_names(df: pl.DataFrame) -> list[str]:
    """The header row as read (without the row index)."""
    return [c for c in df.columns if c != ROW_INDEX]
