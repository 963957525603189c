"""Parsers of the reference tables (contract §1.1-1.3): `reference/units.csv` -> `units`,
`reference/procedures.csv` -> `procedures`, `reference/published_figures.csv` -> `published_figures`.

Codes stay strings (explicit, never auto-typed: "01" is not 1); `muc_do` is Int8, `boundary_free` Boolean, a
figure's `value` Float64 and its `as_of` a local timestamp. Every column of the contract is required; values that
do not parse become null and are counted in the notes.
"""

from __future__ import annotations

import polars as pl

from sources.csv_text import ROW_INDEX, read_csv_table
from sources.files import SourceFile
from sources.headers import resolve_headers
from sources.labels import FLAG_FALSE, FLAG_TRUE
from sources.lineage import lineage_exprs
from sources.schema import CANONICAL_SCHEMAS, LINEAGE, TZ, conform
from sources.values import code, unparsed_count

SOURCE_FORMAT = "reference_csv"

_AS_OF_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


def _flag(column: str) -> pl.Expr:
    value = code(column).str.to_lowercase()
    return pl.when(value.is_in(list(FLAG_TRUE))).then(True).when(value.is_in(list(FLAG_FALSE))).then(False)


def _as_of(column: str) -> pl.Expr:
    value = code(column)
    candidates = [value.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in _AS_OF_FORMATS]
    candidates.append(value.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us")))
    return pl.coalesce(candidates).dt.replace_time_zone(TZ)


# frame -> {column: typed expression}; columns not listed are codes/text (trimmed strings)
_TYPED: dict[str, dict[str, pl.Expr]] = {
    "units": {},
    "procedures": {
        "muc_do": code("muc_do").cast(pl.Int8, strict=False),
        "boundary_free": _flag("boundary_free"),
    },
    "published_figures": {
        "value": code("value").cast(pl.Float64, strict=False),
        "as_of": _as_of("as_of"),
    },
}


def parse_reference(source: SourceFile, pii_key: str, name: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Reference table `name` ("units", "procedures" or "published_figures"). Reference files carry no personal
    values: `pii_key` (every parser's second argument, sources/registry.py) is not used."""
    columns = [c for c in CANONICAL_SCHEMAS[name] if c not in LINEAGE]
    table = read_csv_table(source.path, source.relpath)
    resolved = resolve_headers(table.headers, {c: (c,) for c in columns}, columns, source.relpath)
    df = table.df.select(pl.col(ROW_INDEX), *[pl.col(table.columns[resolved.columns[c]]).alias(c) for c in columns])
    typed = _TYPED[name]
    notes = list(resolved.notes)
    for column, expr in typed.items():
        bad = unparsed_count(df, column, expr)
        if bad:
            notes.append(f"{source.relpath}: {bad} row(s) with an unreadable {column!r} (kept as null)")
    out = df.select(
        *[typed.get(c, code(c)).alias(c) for c in columns],
        pl.col(ROW_INDEX).cast(pl.Int64).alias("source_row"),
        *lineage_exprs(source, SOURCE_FORMAT),
    )
    return {name: conform(out, name)}, notes
