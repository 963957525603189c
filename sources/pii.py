"""Keyed hashing of personal values: hex sha256 of `key || '|' || value`, null for a null or empty value.

The value is trimmed of surrounding whitespace (labels.WHITESPACE) before hashing; nothing else is changed (no case
folding, no Unicode normalisation), so the same string gives the same hash in every source. The same function
exists three ways, with identical results (tested): `pii_hash` (Python, for tests and single values),
`pii_hash_sql` (a DuckDB SQL expression; the key is the query parameter `$pii_key`, never inlined in SQL text) and
`pii_hash_expr` (a Polars expression; it hashes each batch in DuckDB, vectorised, no Python loop per value).
The key comes from the caller (assets.settings.pii_key); nothing here reads the environment.
"""

from __future__ import annotations

import hashlib
from functools import partial

import polars as pl

from sources.duck import connect
from sources.labels import WHITESPACE

KEY_PARAM = "pii_key"
_WS_SQL = " || ".join(f"chr({ord(c)})" for c in WHITESPACE)


def pii_hash(value: str | None, key: str) -> str | None:
    """Reference implementation for one value."""
    if value is None:
        return None
    text = str(value).strip(WHITESPACE)
    if not text:
        return None
    return hashlib.sha256(f"{key}|{text}".encode("utf-8")).hexdigest()


def trim_sql(column_sql: str) -> str:
    """DuckDB: `column_sql` trimmed of labels.WHITESPACE, "" -> NULL.

    trim() with a set of characters walks the whole value (a 60-character name: 13.5 ms per 20,000 values), a test
    of its two ends does not (2.6 ms): a value that neither starts nor ends with one of them, most values, is kept
    as it is without calling trim()."""
    ends = " OR ".join(f"prefix({column_sql}, chr({ord(c)})) OR suffix({column_sql}, chr({ord(c)}))" for c in WHITESPACE)
    return (f"CASE WHEN {column_sql} = '' THEN NULL WHEN {ends} THEN nullif(trim({column_sql}, {_WS_SQL}), '') "
            f"ELSE {column_sql} END")


def pii_hash_sql(column_sql: str, key_param: str = KEY_PARAM) -> str:
    """DuckDB SQL expression hashing `column_sql` (VARCHAR) with the key bound to parameter `$<key_param>`."""
    return pii_hash_of_trimmed_sql(trim_sql(column_sql), key_param)


def pii_hash_of_trimmed_sql(trimmed_sql: str, key_param: str = KEY_PARAM) -> str:
    """pii_hash_sql of a value that is already `trim_sql(value)` (a query that trims a value once for several uses)."""
    return f"CASE WHEN {trimmed_sql} IS NULL THEN NULL ELSE sha256(${key_param} || '|' || {trimmed_sql}) END"


def _hash_series(series: pl.Series, key: str) -> pl.Series:
    con = connect()
    try:
        con.register("pii_values", pl.DataFrame({"v": series.cast(pl.String)}).to_arrow())
        out = con.sql(f"SELECT {pii_hash_sql('v')} AS h FROM pii_values", params={KEY_PARAM: key}).to_arrow_table()
    finally:
        con.close()
    return pl.Series(series.name, out.column("h"), dtype=pl.String)


def pii_hash_expr(column: str | pl.Expr, key: str) -> pl.Expr:
    """Polars expression: the keyed hash of a string column (same result as `pii_hash_sql` and `pii_hash`)."""
    if not key:
        raise ValueError("the PII key must not be empty")
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.String).map_batches(
        partial(_hash_series, key=key), return_dtype=pl.String, is_elementwise=True
    )
