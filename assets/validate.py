"""Validate stage: Great Expectations suites over the staged frames; critical failures are quarantined with their
reasons, warnings are counted (stages/validate.py, expectations/). One asset check per suite shows its results in
the UI; the blocking check stops the marts when the quarantined share says something systemic is wrong."""

import time

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.partitions import DAILY, SINGLE_RUN, partition_keys
from assets.resources import PathsResource, WarehouseResource
from assets.tables import REF_TABLES, table_key
from expectations.docs import build_data_docs
from expectations.suites import suite_names
from reports.validation_summary import render_validation_summary
from stages.staging import staged_files
from stages.validate import Reference, validate_files, validation_summary

# Above this share of quarantined records the batch is not a few bad rows but a broken export or a broken rule.
MAX_QUARANTINED_SHARE = 0.05
VALIDATED = AssetKey(["staging", "validated_exports"])

SUITE_CHECKS = [
    AssetCheckSpec(f"suite_{name}", asset=VALIDATED,
                   description=f"Great Expectations suite expectations/suites/{name}.json over this run's records")
    for name in suite_names()
]
BLOCKING_CHECK = AssetCheckSpec(
    "quarantined_share", asset=VALIDATED, blocking=True,
    description=f"At most {MAX_QUARANTINED_SHARE:.0%} of the records read are quarantined; above that the marts "
    "are not rebuilt (blocking).",
)


def _cell(text: str | None) -> str:
    """Sample values are data, not Markdown: neutralise table and HTML syntax."""
    return (text or "")[:120].replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def suite_check(name: str, summary: pl.DataFrame) -> AssetCheckResult:
    rows = summary.filter(pl.col("suite") == name) if summary.height else summary
    if rows.height == 0:
        return AssetCheckResult(check_name=f"suite_{name}", passed=True,
                                metadata={"expectations_evaluated": 0, "note": "no records of this entity in the run"})
    failed = rows.filter(~pl.col("success"))
    critical = failed.filter(pl.col("severity") == "critical")
    table = "\n".join(
        f"| {r['expectation_id']} | {r['severity']} | {r['reason']} | {r['unexpected_count']} | "
        f"{_cell(r['sample_values'])} |" for r in failed.iter_rows(named=True))
    return AssetCheckResult(
        check_name=f"suite_{name}",
        passed=critical.height == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "expectations_evaluated": rows.height,
            "expectations_failed": failed.height,
            "critical_failed": critical.height,
            "records_checked": int(rows.get_column("element_count").max() or 0),
            "unexpected_total": int(rows.get_column("unexpected_count").sum() or 0),
            "failures": MetadataValue.md(
                "| expectation | severity | reason | unexpected | sample |\n|---|---|---|---|---|\n" + table
                if table else "none"),
        },
    )


@asset(
    key=VALIDATED,
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    group_name="staging",
    kinds={"great_expectations", "polars", "parquet"},
    owners=["team:data-engineering"],
    deps=[AssetKey(["staging", "extracted_exports"]), *(table_key(t) for t in REF_TABLES)],
    check_specs=[*SUITE_CHECKS, BLOCKING_CHECK],
    description="Each staged file checked against its entity's expectation suite (expectations/suites/*.json); "
    "failing records are split into the quarantine with their reasons, never dropped. Checks: one per suite "
    "(warn) and quarantined_share (blocking). Metadata `data_docs`: the Great Expectations data docs.",
)
def validated_exports(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource):
    t0 = time.perf_counter()
    with warehouse.writer() as con:
        ref = Reference.from_warehouse(con)
    outcomes: list = []
    staged = validate_files(staged_files(paths.staging, partition_keys(context)), ref, context.log.debug, outcomes)
    validated = [s for s in staged if s.outcome == "validated"]
    read = sum(s.records_read for s in validated)
    quarantined = sum(s.records_quarantined for s in validated)
    summary = validation_summary(validated)
    docs = None
    if outcomes:
        # The data docs show the latest validation of each suite (a page per validation costs ~0.1 s).
        latest = {o.entity: o for o in outcomes}
        docs = build_data_docs(latest.values(), paths.docs / "data_docs")
    summary_page = render_validation_summary(validated, paths.docs / "validation.html", run=context.run.run_id)
    share = quarantined / read if read else 0.0
    yield MaterializeResult(metadata={
        "files_validated": len(validated),
        "records_read": read,
        "records_clean": sum(s.records_loaded for s in validated),
        "records_quarantined": quarantined,
        "records_with_warnings": sum(s.records_warned for s in validated),
        "quarantined_pct": round(100.0 * share, 4),
        "data_docs": MetadataValue.url(docs.as_uri()) if docs else "not built (nothing validated)",
        # Browsers do not follow file:// links from an http page: the path is there to copy.
        **({"data_docs_path": MetadataValue.path(str(docs))} if docs else {}),
        "validation_summary_path": MetadataValue.path(str(summary_page.resolve())),
        "seconds": round(time.perf_counter() - t0, 3),
    })
    for name in suite_names():
        yield suite_check(name, summary)
    yield AssetCheckResult(
        check_name="quarantined_share",
        passed=share <= MAX_QUARANTINED_SHARE,
        metadata={"records_read": read, "records_quarantined": quarantined, "share_pct": round(100.0 * share, 4),
                  "limit_pct": 100.0 * MAX_QUARANTINED_SHARE},
    )
