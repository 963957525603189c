"""Validate: resolve the references of each staged file's frames and run its Great Expectations suite.

Rows that fail a critical expectation go to the file's quarantine frames with their reasons; warnings are kept on
the row (column `warnings`) and counted; children of a quarantined dossier observation go with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import polars as pl

from expectations import runner
from expectations.suites import has_suite
from sources.labels import normalise_unit_name
from stages.extract import PRIMARY_ENTITY
from stages.staging import StagedFile
from warehouse.db import crash_point

CHILD_ENTITIES = ("documents", "fees", "results", "identities")


@dataclass(frozen=True)
class Reference:
    """What validation checks codes against: the units and procedures known to the warehouse."""

    units: pl.DataFrame        # unit_code, unit_name, province_code, level
    procedure_codes: frozenset[str]

    def unit_lookup(self) -> pl.DataFrame:
        return self.units.select(
            pl.col("unit_name").map_elements(normalise_unit_name, return_dtype=pl.String).alias("_unit_key"),
            "unit_code", "province_code", "level",
        ).unique("_unit_key", keep="first")

    def context(self) -> dict:
        return {"procedure_codes": sorted(self.procedure_codes)}

    @classmethod
    def from_warehouse(cls, con) -> "Reference":
        units = con.sql("SELECT unit_code, unit_name, province_code, level FROM ref.units ORDER BY unit_code").pl()
        codes = {r[0] for r in con.execute("SELECT procedure_code FROM ref.procedures").fetchall()}
        return cls(units=units, procedure_codes=frozenset(codes))


def empty_reference() -> Reference:
    """For validating the reference files themselves."""
    schema = {"unit_code": pl.String, "unit_name": pl.String, "province_code": pl.String, "level": pl.String}
    return Reference(units=pl.DataFrame(schema=schema), procedure_codes=frozenset())


def enrich_dossiers(frame: pl.DataFrame, ref: Reference) -> pl.DataFrame:
    """Resolve unit and procedure, and derive what the merge orders by (event_at, source_rank)."""
    names = frame.select(pl.col("unit_name").unique())
    keys = names.with_columns(
        pl.col("unit_name").map_elements(normalise_unit_name, return_dtype=pl.String).alias("_unit_key")
    )
    units = keys.join(ref.unit_lookup(), on="_unit_key", how="left").drop("_unit_key")
    return (
        frame.join(units, on="unit_name", how="left", nulls_equal=False, maintain_order="left")
        .with_columns(
            pl.max_horizontal("received_at", "processed_at", "returned_at", "refused_at").alias("event_at"),
            pl.when(pl.col("source_format") == "portal_json").then(2).otherwise(1).cast(pl.Int8).alias("source_rank"),
        )
    )


def validate_file(
    sf: StagedFile,
    ref: Reference,
    progress: Callable[[str], None] | None = None,
    outcomes: list | None = None,
) -> StagedFile:
    """Validate the extracted frames of one staged file; writes clean/, quarantine/ and validations.parquet.
    The Great Expectations outcomes are appended to `outcomes` when given (for the data docs).

    A concurrent run may load this file and prune its folder before or while it is validated here: the file is then
    recorded, and it is left `extracted` (the load skips it) instead of failing the run."""
    if sf.outcome != "extracted" or not (sf.path / "file.json").is_file():
        return sf
    try:
        return _validate_file(sf, ref, progress, outcomes)
    except FileNotFoundError:
        if (sf.path / "file.json").is_file():
            raise
        sf.outcome = "extracted"
        return sf


def _validate_file(sf: StagedFile, ref: Reference, progress: Callable[[str], None] | None,
                   outcomes: list | None) -> StagedFile:
    t0 = time.perf_counter()
    results = []
    quarantined_rows: pl.Series | None = None
    entities = sf.entities("extracted")
    # Parents first, so that the children of quarantined observations can follow them.
    order = [e for e in entities if e not in CHILD_ENTITIES] + [e for e in entities if e in CHILD_ENTITIES]
    for entity in order:
        frame = sf.read_frame("extracted", entity)
        if entity in CHILD_ENTITIES and quarantined_rows is not None and quarantined_rows.len():
            frame = frame.filter(~pl.col("source_row").is_in(quarantined_rows.implode()))
        if entity == "dossiers":
            frame = enrich_dossiers(frame, ref)
        if not has_suite(entity):
            sf.write_frame("clean", entity, frame)
            if entity == sf_primary(sf):
                sf.records_loaded = frame.height
            continue
        outcome = runner.validate(entity, frame, ref.context())
        if outcomes is not None:
            outcomes.append(outcome)
        clean, quarantine = runner.split(frame, outcome)
        results.append(outcome.results.with_columns(pl.lit(entity).alias("entity")))
        sf.write_frame("clean", entity, clean)
        crash_point("validate.frame")
        if quarantine.height:
            sf.write_frame("quarantine", entity, quarantine)
        if entity == "dossiers":
            quarantined_rows = quarantine.get_column("source_row")
        if entity == sf_primary(sf):
            sf.records_loaded = clean.height
            sf.records_quarantined = quarantine.height
            sf.records_warned = int(clean.get_column("warnings").is_not_null().sum())
    if results:
        pl.concat(results, how="diagonal_relaxed").write_parquet(sf.path / "validations.parquet")
    sf.outcome = "validated"
    sf.seconds["validate"] = round(time.perf_counter() - t0, 4)
    sf.save()
    crash_point("validate.saved")
    if progress:
        progress(f"validate {sf.relpath}: {sf.records_loaded} clean, {sf.records_quarantined} quarantined, "
                 f"{sf.records_warned} with warnings")
    return sf


def validation_summary(staged: list[StagedFile]) -> pl.DataFrame:
    """One row per (entity, expectation) over the validated files: how many records it saw, how many failed, a
    sample of failing values (already masked where personal), and whether it held everywhere."""
    parts = [pl.read_parquet(sf.path / "validations.parquet") for sf in staged
             if sf.outcome == "validated" and (sf.path / "validations.parquet").is_file()]
    if not parts:
        return pl.DataFrame()
    return (
        pl.concat(parts, how="diagonal_relaxed")
        .group_by("entity", "suite", "expectation_id", "expectation_type", "columns", "reason", "severity", "scope",
                  maintain_order=True)
        .agg(
            pl.col("success").all().alias("success"),
            pl.col("element_count").sum().alias("element_count"),
            pl.col("unexpected_count").sum().alias("unexpected_count"),
            pl.col("sample_values").filter(pl.col("sample_values").is_not_null() & (pl.col("sample_values") != ""))
            .head(3).str.join(" | ").alias("sample_values"),
            pl.len().alias("files"),
        )
    )


def sf_primary(sf: StagedFile) -> str | None:
    return PRIMARY_ENTITY.get(sf.kind)
