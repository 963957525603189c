"""Validate: resolve the references of each staged file's frames and run its Great Expectations suite.

Rows that fail a critical expectation go to the file's quarantine frames with their reasons; warnings are kept on
the row (column `warnings`) and counted; children of a quarantined dossier observation go with it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Callable

import polars as pl

from expectations import runner
from expectations.suites import suites_digest
from sources import registry
from sources.labels import unit_name_key_expr
from stages.faults import crash_point
from stages.staging import StagedFile


@dataclass(frozen=True)
class Reference:
    """What validation checks codes against: the units and procedures known to the warehouse."""

    units: pl.DataFrame        # unit_code, unit_name, province_code, level
    procedure_codes: frozenset[str]

    def unit_lookup(self) -> pl.DataFrame:
        return self.units.select(
            unit_name_key_expr(pl.col("unit_name")).alias("_unit_key"),
            "unit_code", "province_code", "level",
        ).unique("_unit_key", keep="first")

    def context(self) -> dict:
        return {"procedure_codes": sorted(self.procedure_codes)}

    @classmethod
    def from_warehouse(cls, con) -> "Reference":
        units = con.sql("SELECT unit_code, unit_name, province_code, level FROM ref.units ORDER BY unit_code").pl()
        codes = {r[0] for r in con.execute("SELECT procedure_code FROM ref.procedures").fetchall()}
        return cls(units=units, procedure_codes=frozenset(codes))


def validation_key(ref: Reference) -> str:
    """What a staged validation depends on: the reference it resolved codes against (units, procedures) and the
    suites. A file validated under another key is validated again (a commune added to ref.units, a suite changed)."""
    digest = hashlib.sha256(suites_digest().encode())
    units = ref.units.select("unit_code", "unit_name", "province_code", "level").sort(pl.all())
    digest.update(units.write_csv().encode())
    digest.update("\n".join(sorted(ref.procedure_codes)).encode())
    return digest.hexdigest()[:32]


def out_of_date(sf: StagedFile, key: str) -> bool:
    """A staged file whose validation was made under another validation_key."""
    return sf.outcome in ("validated", "blocked") and sf.validated_with != key


def empty_reference() -> Reference:
    """For validating the reference files themselves."""
    schema = {"unit_code": pl.String, "unit_name": pl.String, "province_code": pl.String, "level": pl.String}
    return Reference(units=pl.DataFrame(schema=schema), procedure_codes=frozenset())


def enrich_dossiers(frame: pl.DataFrame, ref: Reference) -> pl.DataFrame:
    """Resolve unit and procedure, and derive what the merge orders by (event_at, source_rank)."""
    names = frame.select(pl.col("unit_name").unique())
    keys = names.with_columns(unit_name_key_expr(pl.col("unit_name")).alias("_unit_key"))
    units = keys.join(ref.unit_lookup(), on="_unit_key", how="left").drop("_unit_key")
    return (
        frame.join(units, on="unit_name", how="left", nulls_equal=False, maintain_order="left")
        .with_columns(
            pl.max_horizontal("received_at", "processed_at", "returned_at", "refused_at").alias("event_at"),
            pl.when(pl.col("source_format") == "portal_json").then(2).otherwise(1).cast(pl.Int8).alias("source_rank"),
        )
    )


# Rows per Great Expectations run. GX has a fixed cost per validation (~0.3-1 s: building and serialising the
# results of every expectation), so the files of a run are validated together, one run per entity and batch, not
# one per file (sample world, 121 files: 24.0 s -> 8.5 s). The batch bounds the memory: validating the 1M-dossier
# world's staged frames took 27.8 s / 2.89 GB peak with 1,000,000 rows, 26.2 s / 2.07 GB with 500,000, 26.4 s /
# 1.32 GB with 250,000 and 29.3 s / 0.81 GB with 100,000.
BATCH_ROWS = 250_000


def validate_file(sf: StagedFile, ref: Reference, progress: Callable[[str], None] | None = None,
                  outcomes: list | None = None) -> StagedFile:
    """validate_files for one file."""
    return validate_files([sf], ref, progress, outcomes)[0]


def validate_files(
    staged: list[StagedFile],
    ref: Reference,
    progress: Callable[[str], None] | None = None,
    outcomes: list | None = None,
    batch_rows: int = BATCH_ROWS,
) -> list[StagedFile]:
    """Validate the extracted frames of these staged files; writes each file's clean/, quarantine/ and
    validations.parquet (its results per expectation) and marks it `validated`. The files' frames of one entity are
    validated together in batches of about `batch_rows` rows; the results and counts stay per file (the suites'
    cross-row checks are keyed by source_file). A file with no rows of an entity is validated alone, so that the
    batch-level checks (row count) speak of it. The Great Expectations outcomes are appended to `outcomes` when
    given (for the data docs).

    A file validated (or blocked) under another validation_key (another reference or suites) is validated again.

    A concurrent run may load a file and prune its folder before or while it is validated here: the file is then
    left `extracted` (the load skips it) instead of failing the run."""
    key = validation_key(ref)
    for sf in staged:
        if out_of_date(sf, key) and (sf.path / "file.json").is_file():
            sf.unvalidate()
        if sf.outcome == "extracted" and sf.nothing_to_check and (sf.path / "file.json").is_file():
            sf.outcome, sf.validated_with = "validated", key
            sf.save()
    work = [_FileWork(sf, key) for sf in staged if sf.outcome == "extracted" and (sf.path / "file.json").is_file()]
    entities = sorted({e for w in work for e in w.entities})
    # Parents first, so that the children of quarantined observations can follow them.
    children = registry.CHILD_FRAMES
    for entity in [e for e in entities if e not in children] + [e for e in entities if e in children]:
        members = [w for w in work if not w.gone and entity in w.entities]
        for batch in _batches(entity, members, batch_rows):
            _validate_batch(entity, batch, ref, outcomes)
    for w in work:
        if not w.gone:
            _finish(w, progress)
    return staged


class _FileWork:
    """What validation gathers for one file across entities."""

    def __init__(self, sf: StagedFile, key: str):
        self.sf = sf
        self.key = key
        self.entities = sf.entities("extracted")
        self.results: list[pl.DataFrame] = []
        self.quarantined_rows: pl.Series | None = None
        self.seconds = 0.0
        self.gone = False

    def lost(self, error: FileNotFoundError) -> None:
        """The folder vanished: pruned by a concurrent run that loaded the file (then file.json is gone too)."""
        if (self.sf.path / "file.json").is_file():
            raise error
        self.gone = True


def _batches(entity: str, members: list[_FileWork], batch_rows: int):
    """[(file, frame), ...] groups of about batch_rows rows; an empty frame is a batch of its own."""
    batch, rows = [], 0
    for w in members:
        try:
            frame = w.sf.read_frame("extracted", entity)
        except FileNotFoundError as error:
            w.lost(error)
            continue
        if entity in registry.CHILD_FRAMES and w.quarantined_rows is not None and w.quarantined_rows.len():
            frame = frame.filter(~pl.col("source_row").is_in(w.quarantined_rows.implode()))
        if frame.height == 0:
            yield [(w, frame)]
            continue
        batch.append((w, frame))
        rows += frame.height
        if rows >= batch_rows:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


FILE = "_file"  # the position of a row's file in its batch


def _validate_batch(entity: str, batch: list[tuple[_FileWork, pl.DataFrame]], ref: Reference,
                    outcomes: list | None) -> None:
    t0 = time.perf_counter()
    frame = pl.concat(
        [f.with_columns(pl.lit(k, dtype=pl.Int32).alias(FILE)) for k, (_, f) in enumerate(batch)], how="vertical"
    )
    if entity == "dossiers":
        frame = enrich_dossiers(frame, ref)
    suite = registry.FRAMES[entity].suite
    if suite is not None:
        outcome = runner.validate(suite, frame, ref.context())
        if outcomes is not None:
            outcomes.append(outcome)
        clean, quarantine = runner.split(frame, outcome)
        if frame.height:
            results = runner.results_by(outcome, frame.get_column(FILE))
        else:  # a file without rows, validated alone: no row carries its label, the batch's results are its own
            results = outcome.results.with_columns(pl.lit(0, dtype=pl.Int32).alias("group"))
    else:
        clean, quarantine, results = frame, frame.clear(), None
    seconds = time.perf_counter() - t0
    total = max(frame.height, 1)
    # One pass per frame to cut the batch back into its files (a file may have no row in one of them).
    clean_of = clean.partition_by(FILE, as_dict=True, include_key=False)
    quarantine_of = quarantine.partition_by(FILE, as_dict=True, include_key=False)
    results_of = {} if results is None else results.partition_by("group", as_dict=True, include_key=False)
    no_rows = clean.clear().drop(FILE)
    for k, (w, part) in enumerate(batch):
        if w.gone:
            continue
        file_clean = clean_of.get((k,), no_rows)
        file_quarantine = quarantine_of.get((k,), quarantine.clear().drop(FILE))
        try:
            w.sf.write_frame("clean", entity, file_clean)
            crash_point("validate.frame")
            if file_quarantine.height:
                w.sf.write_frame("quarantine", entity, file_quarantine)
        except FileNotFoundError as error:
            w.lost(error)
            continue
        # The batch's time, shared by rows.
        w.seconds += seconds * max(part.height, 1) / total
        if (k,) in results_of:
            w.results.append(results_of[(k,)].with_columns(pl.lit(entity).alias("entity")))
        if entity == "dossiers":
            w.quarantined_rows = file_quarantine.get_column("source_row")
        if entity == registry.KINDS[w.sf.kind].primary:
            w.sf.records_loaded = file_clean.height
            w.sf.records_quarantined = file_quarantine.height
            w.sf.records_warned = int(file_clean.get_column("warnings").is_not_null().sum()) \
                if "warnings" in file_clean.columns else 0


def _finish(w: _FileWork, progress: Callable[[str], None] | None) -> None:
    sf = w.sf
    try:
        if w.results:
            sf.write_validations(pl.concat(w.results, how="diagonal_relaxed"))
        sf.outcome, sf.validated_with = "validated", w.key
        sf.seconds["validate"] = round(w.seconds, 4)
        sf.save()
    except FileNotFoundError as error:
        w.lost(error)
        sf.outcome = "extracted"
        return
    crash_point("validate.saved")
    if progress:
        progress(f"validate {sf.relpath}: {sf.records_loaded} clean, {sf.records_quarantined} quarantined, "
                 f"{sf.records_warned} with warnings")


def validation_summary(staged: list[StagedFile]) -> pl.DataFrame:
    """One row per (entity, expectation) over the validated files: how many records it saw, how many failed, a
    sample of failing values (already masked where personal), and whether it held everywhere."""
    parts = [pl.read_parquet(sf.validations_path, glob=False) for sf in staged
             if sf.outcome == "validated" and sf.validations_path.is_file()]
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
