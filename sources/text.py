"""Text rules shared by the parsers: identifiers, free text, local dates, and paths handed to DuckDB.

Identifiers (dossier, procedure, field, fee, component and result codes; commune and task codes) are NFC-normalised
and lose any Unicode whitespace, control or format character (no-break space, zero-width space, BOM, word joiner,
ideographic space, ...) at either end (`identifier_expr`, `identifier_sql`); one left inside is kept as read and
the record is quarantined by its suite (`code_invisible_character`), so an invisible character can never make a
second dossier. `HIDDEN_CLASS` is the character class, the same in Polars (Rust regex) and DuckDB (RE2);
`hidden_characters` is the Python reference.

Free text that is kept (unit, procedure, field, fee, department and task names, job titles, labels as read, an
unreadable date cell) is scrubbed of recognisable personal identifiers before anything is staged (`scrub_expr`,
`scrub_sql`, `scrub` in Python, identical results): an e-mail address becomes `[email]`, a run of 9 or more digits
(ID card numbers of 9 or 12 digits, phone numbers, tax codes; single spaces, dots or dashes between the digits
allowed, `+` before them) becomes `[number]`. A name cannot be recognised by its shape: free text that citizens or
clerks write about a person (attachment names, result-document names, processing-step notes) is not scrubbed but
replaced by its keyed pseudonym in the parser (sources/pii.py).

Local dates of provincial and task exports (`strict_local_timestamp`, `strict_local_date`): `d/M/yyyy` with an
optional ` H:mm[:ss]`, the year written with four digits. Anything else (`01/08/25`, `01-08-2025`, `2025-08-01`) is
not read (null; the raw cell is kept), never guessed: a two-digit year never becomes year 0025.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

from sources.schema import TZ

# ---- identifiers ------------------------------------------------------------------------------------------------

HIDDEN_CLASS = r"[\s\p{Z}\p{Cc}\p{Cf}]"  # Rust regex (Polars) and RE2 (DuckDB) alike
_HIDDEN_EDGES = rf"^{HIDDEN_CLASS}+|{HIDDEN_CLASS}+$"


def is_hidden(char: str) -> bool:
    """Whitespace, a control or a format character (the Python reference of HIDDEN_CLASS)."""
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cc", "Cf")


def identifier(value: str | None) -> str | None:
    """Python reference of `identifier_expr`: NFC, hidden characters at the ends removed, "" -> None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value)
    start, end = 0, len(text)
    while start < end and is_hidden(text[start]):
        start += 1
    while end > start and is_hidden(text[end - 1]):
        end -= 1
    return text[start:end] or None


def hidden_characters(value: str | None) -> bool:
    return value is not None and any(is_hidden(c) for c in value)


def identifier_expr(column: str | pl.Expr) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    cleaned = expr.str.normalize("NFC").str.replace_all(_HIDDEN_EDGES, "")
    return pl.when(cleaned.str.len_bytes() > 0).then(cleaned)


def identifier_sql(column_sql: str) -> str:
    cleaned = f"regexp_replace(nfc_normalize({column_sql}), '{_HIDDEN_EDGES}', '', 'g')"
    return f"nullif({cleaned}, '')"


# ---- free text --------------------------------------------------------------------------------------------------

EMAIL_MARK = "[email]"
NUMBER_MARK = "[number]"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_NUMBER = r"\+?[0-9](?:[ .-]?[0-9]){8,}"
_EMAIL_RE = re.compile(_EMAIL)
_NUMBER_RE = re.compile(_NUMBER)


def scrub(value: str | None) -> str | None:
    """Python reference: e-mail addresses and runs of 9+ digits replaced by their markers."""
    if value is None:
        return None
    return _NUMBER_RE.sub(NUMBER_MARK, _EMAIL_RE.sub(EMAIL_MARK, value))


def scrub_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(_EMAIL, EMAIL_MARK, literal=False).str.replace_all(_NUMBER, NUMBER_MARK)


def scrub_sql(column_sql: str) -> str:
    email = f"regexp_replace({column_sql}, '{_EMAIL}', '{EMAIL_MARK}', 'g')"
    scrubbed = f"regexp_replace({email}, '{_NUMBER}', '{NUMBER_MARK}', 'g')"
    # Both patterns need an '@' or an ASCII digit: a value without one (most names) skips the two replacements,
    # which cost about three times this test.
    return f"CASE WHEN regexp_matches({column_sql}, '[0-9@]') THEN {scrubbed} ELSE {column_sql} END"


# ---- local dates ------------------------------------------------------------------------------------------------

_DATE = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
_DATE_ONLY = rf"^{_DATE}$"
_DATE_TIME = rf"^{_DATE} [0-9]{{1,2}}:[0-9]{{2}}(?::[0-9]{{2}})?$"
_DATETIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def strict_local_date(text: pl.Expr) -> pl.Expr:
    """`text` (already trimmed, null when blank) as a local date, only when it is d/M/yyyy."""
    return pl.when(text.str.contains(_DATE_ONLY)).then(text.str.strptime(pl.Date, "%d/%m/%Y", strict=False))


def strict_local_timestamp(text: pl.Expr) -> pl.Expr:
    """`text` (already trimmed, null when blank) as local time, only when it is d/M/yyyy[ H:mm[:ss]]."""
    with_time = pl.coalesce([text.str.strptime(pl.Datetime("us"), f, strict=False) for f in _DATETIME_FORMATS])
    parsed = (
        pl.when(text.str.contains(_DATE_TIME))
        .then(with_time)
        .when(text.str.contains(_DATE_ONLY))
        .then(text.str.strptime(pl.Date, "%d/%m/%Y", strict=False).cast(pl.Datetime("us")))
    )
    return parsed.dt.replace_time_zone(TZ)


# ---- paths ------------------------------------------------------------------------------------------------------

_GLOB = re.compile(r"([\[\]*?{}])")


def duckdb_path(path: str | Path) -> str:
    """A file path for DuckDB's table functions (read_json, read_parquet), which read their argument as a glob
    pattern: each glob character is put in a one-character class, so the path names exactly that file (`[1]` would
    otherwise match a folder `1`, and a pattern that matches nothing falls back to the literal path)."""
    return _GLOB.sub(r"[\1]", str(path))
