"""Split at extract (province mode, HOSO_PROVINCES): a parsed file becomes one part per province of the warehouse,
so that each province's records are validated and loaded by that province's runs only (one run per province at a
time: the run queue's limit on `dagster/partition/province`). A national-portal batch carries several provinces'
dossiers; a provincial or task export usually one.

A record's province is the one its dossier code names: the code begins with the receiving unit's e-identifier,
whose last group is `H<province code>` (`000.00.14.H40-250701-0001`: Nghệ An, 40). The child frames (documents,
fees, history...) follow their dossier's code. Records whose code names no province of the warehouse (a malformed
code, a province not in HOSO_PROVINCES) and frames without dossier codes (task exports) go to the home province,
the first of HOSO_PROVINCES: validated there like any other record, nothing is lost. The part a record is loaded by
does not change a figure: the marts read every province's records.
"""

from __future__ import annotations

import polars as pl

# The province group of the unit e-identifier a dossier code begins with, `000.NN.NN.HPP` (docs/data-contracts.md,
# ref.units e_identifier).
CODE_PROVINCE = r"^\d{3}\.\d{2}\.\d{2}\.H(\d{2})-"
CODE_COLUMN = "dossier_code"


def split_frames(frames: dict[str, pl.DataFrame], provinces: tuple[str, ...]) -> dict[str, dict[str, pl.DataFrame]]:
    """{province: {entity: frame}} for every province of `provinces` (home first), each with every entity (empty
    frames where it has no rows), the rows in their file order. The parts' rows add up to the file's."""
    home = provinces[0]
    parts: dict[str, dict[str, pl.DataFrame]] = {p: {} for p in provinces}
    for entity, frame in frames.items():
        if CODE_COLUMN not in frame.columns:
            for p in provinces:
                parts[p][entity] = frame if p == home else frame.clear()
            continue
        named = pl.col(CODE_COLUMN).str.extract(CODE_PROVINCE, 1)
        province = pl.when(named.is_in(list(provinces))).then(named).otherwise(pl.lit(home))
        keyed = frame.with_columns(province.alias("_province"))
        for p in provinces:
            parts[p][entity] = keyed.filter(pl.col("_province") == p).drop("_province")
    return parts
