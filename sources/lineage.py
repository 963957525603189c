"""The lineage columns of a parsed file (docs/data-contracts.md §3), as Polars literals.

`source_row` is the parser's own (it knows the record positions); the rest comes from the `SourceFile`.
"""

from __future__ import annotations

import polars as pl

from sources.files import SourceFile
from sources.schema import LINEAGE, SOURCE_FORMATS


def lineage_exprs(source: SourceFile, source_format: str) -> list[pl.Expr]:
    """Literal columns source_format, source_file, source_sha256, observed_at, batch_seq (not source_row)."""
    if source_format not in SOURCE_FORMATS:
        raise ValueError(f"unknown source format {source_format!r}")
    values = {
        "source_format": source_format,
        "source_file": source.relpath,
        "source_sha256": source.sha256,
        "observed_at": source.observed_at,
        "batch_seq": source.batch_seq,
    }
    return [pl.lit(value, dtype=LINEAGE[name]).alias(name) for name, value in values.items()]
