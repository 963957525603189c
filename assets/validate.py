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

from assets.partitions import BACKFILL, PARTITIONS, run_partitions
from assets.progress import BatchedLog
from assets.resources import PathsResource, WarehouseResource
from assets.tables import REF_TABLES, table_key
from expectations.docs import build_data_docs
from expectations.suites import suite_names
from reports.validation_summary import render_validation_summary
from sources.registry import KINDS
from stages.staging import staged_files
from stages.validate import Reference, validate_files, validation_summary

# The blocking rule, per file: a file is blocked when more than MAX_QUARANTINED_SHARE of its records are quarantined
# AND at least MIN_QUARANTINED of them are: then it is not a few bad rows but a broken export or a broken rule. Below
# the floor a share says nothing (2 bad records of a 13-record daily batch are 15%): the good records load and the
# bad ones wait in core.quarantine, as always. A blocked file stays staged (outcome `blocked`), is not loaded by any
# later run, and is validated again once the reference tables or the suites change (stages.validate.validation_key)
# or replaced by a corrected file; files blocked earlier are reported, they do not block later batches.
MAX_QUARANTINED_SHARE = 0.05
MIN_QUARANTINED = 20
TOP = 3  # reasons and files named in the check's message
VALIDATED = AssetKey(["staging", "validated_exports"])

SUITE_CHECKS = [
    AssetCheckSpec(f"suite_{name}", asset=VALIDATED,
                   description=f"Great Expectations suite expectations/suites/{name}.json over this run's records")
    for name in suite_names()
]
BLOCKING_CHECK = AssetCheckSpec(
    "quarantined_share", asset=VALIDATED, blocking=True,
    description=f"Per file: a file with more than {MAX_QUARANTINED_SHARE:.0%} of its records quarantined and at least "
    f"{MIN_QUARANTINED} of them is blocked (blocking: the run's load, marts and snapshot do not run); below "
    f"{MIN_QUARANTINED} quarantined records a share says nothing and the good records load. A blocked file is not "
    "loaded by a later run; it is validated again when the reference tables or the suites change. The failure "
    "names the files and the top reasons.",
)


def blocked_file(sf) -> bool:
    """The rule (MAX_QUARANTINED_SHARE, MIN_QUARANTINED) on one validated file."""
    return sf.records_quarantined >= MIN_QUARANTINED and \
        sf.records_quarantined > MAX_QUARANTINED_SHARE * max(sf.records_read, 1)


def quarantine_reasons(files) -> list[tuple[str, int]]:
    """(reason, records) over the quarantined primary records of these files, most frequent first."""
    counts: dict[str, int] = {}
    for sf in files:
        path = sf.frame_path("quarantine", KINDS[sf.kind].primary)
        if path.is_file():
            for reason, n in pl.read_parquet(path, columns=["reason"], glob=False).group_by("reason").len().rows():
                counts[reason or "unknown"] = counts.get(reason or "unknown", 0) + n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def blocked_message(files) -> str:
    """One line: the files blocked (top ones with their counts), the top reasons, what happens to them."""
    worst = sorted(files, key=lambda sf: (-sf.records_quarantined, sf.relpath))
    names = ", ".join(f"{sf.relpath} ({sf.records_quarantined} of {sf.records_read} quarantined, "
                      f"{100.0 * sf.records_quarantined / max(sf.records_read, 1):.1f}%)" for sf in worst[:TOP])
    more = f" and {len(worst) - TOP} more" if len(worst) > TOP else ""
    reasons = ", ".join(f"{r} {n}" for r, n in quarantine_reasons(worst)[:TOP])
    return (f"{len(worst)} file{'s' if len(worst) > 1 else ''} blocked (over {MAX_QUARANTINED_SHARE:.0%} and at "
            f"least {MIN_QUARANTINED} records quarantined): {names}{more}; top reasons: {reasons}; core.quarantine "
            "is not written for them: they stay staged until the reference tables or suites change or a "
            "corrected file arrives")


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
    partitions_def=PARTITIONS,
    backfill_policy=BACKFILL,
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
    days, provinces = run_partitions(context)
    with BatchedLog(context.log.debug) as progress:
        staged = validate_files(staged_files(paths.staging, days, provinces), ref, progress, outcomes)
    # The rule (module top): files over the share and the floor are blocked, and stay so (outcome `blocked`, skipped
    # by every load) until validated again under another reference or suites.
    newly_blocked = [s for s in staged if s.outcome == "validated" and blocked_file(s)]
    message = blocked_message(newly_blocked) if newly_blocked else None
    for sf in newly_blocked:
        sf.outcome, sf.reason = "blocked", f"quarantined_share: {sf.records_quarantined} of {sf.records_read} " \
            f"records quarantined (over {MAX_QUARANTINED_SHARE:.0%} and at least {MIN_QUARANTINED})"
        sf.save()
    still_blocked = [s for s in staged if s.outcome == "blocked" and s not in newly_blocked]
    if still_blocked:
        context.log.warning(f"still blocked by quarantined_share (not loaded): {blocked_message(still_blocked)}")
    validated = [s for s in staged if s.outcome in ("validated", "blocked")]
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
        passed=not newly_blocked,
        description=message or ("no file over the rule" + (f"; {len(still_blocked)} blocked by an earlier run "
                                                           "stay blocked" if still_blocked else "")),
        metadata={"records_read": read, "records_quarantined": quarantined, "share_pct": round(100.0 * share, 4),
                  "limit_pct": 100.0 * MAX_QUARANTINED_SHARE, "min_quarantined": MIN_QUARANTINED,
                  "files_blocked": len(newly_blocked), "files_still_blocked": len(still_blocked),
                  "blocked_files": MetadataValue.text("\n".join(s.relpath for s in newly_blocked + still_blocked)
                                                      or "none")},
    )
