"""Polars expressions that turn the string cells of CSV/XLSX exports into canonical values.

Codes are trimmed strings with "" -> null (`code`); `raw` keeps the cell as read (null when blank); dates are
`dd/MM/yyyy HH:mm:ss`, `dd/MM/yyyy HH:mm` or `dd/MM/yyyy` local time (`local_timestamp`, `local_date`).
"""

from __future__ import annotations

import polars as pl

from sources.labels import WHITESPACE, normalise_expr
from sources.schema import TZ

DATETIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
DATE_FORMAT = "%d/%m/%Y"


def code(column: str | pl.Expr) -> pl.Expr:
    """Trimmed string, "" -> null."""
    expr = (pl.col(column) if isinstance(column, str) else column).str.strip_chars(WHITESPACE)
    return pl.when(expr.str.len_bytes() > 0).then(expr)


def raw(column: str) -> pl.Expr:
    """The cell as read, null when blank."""
    return pl.when(code(column).is_not_null()).then(pl.col(column))


def local_date(column: str) -> pl.Expr:
    return code(column).str.strptime(pl.Date, DATE_FORMAT, strict=False)


def local_timestamp(column: str) -> pl.Expr:
    """dd/MM/yyyy[ HH:mm[:ss]] as local time -> Datetime("us", Asia/Ho_Chi_Minh); anything else -> null."""
    value = code(column)
    candidates = [value.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in DATETIME_FORMATS]
    candidates.append(value.str.strptime(pl.Date, DATE_FORMAT, strict=False).cast(pl.Datetime("us")))
    return pl.coalesce(candidates).dt.replace_time_zone(TZ)


def lookup(column: str, table: dict[str, object], dtype: pl.DataType) -> pl.Expr:
    """Normalised label -> value of `table` (keys already normalised); unknown -> null."""
    return normalise_expr(code(column)).replace_strict(
        list(table.keys()), list(table.values()), default=None, return_dtype=dtype
    )


def unparsed_count(df: pl.DataFrame, column: str, parsed: pl.Expr) -> int:
    """Rows where `column` has a value but `parsed` is null."""
    return int(df.select((code(column).is_not_null() & parsed.is_null()).sum()).item())
