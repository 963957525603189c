"""Validate stage: Great Expectations suites over the staged frames; critical failures are quarantined with their
reasons, warnings are counted (stages/validate.py, expectations/)."""


import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.common import partition_keys
from pipelines.partitions import DAILY, SINGLE_RUN
from pipelines.resources import LandingResource, WarehouseResource
from stages.staging import staged_files
from stages.validate import Reference, validate_file


@asset(
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    group_name="validate",
    kinds={"great_expectations", "polars"},
    owners=["team:data-engineering"],
    deps=["extracted_files", "reference_tables"],
    description="Each staged file checked against its entity's expectation suite (expectations/suites/*.json); "
    "failing records are split into the quarantine with their reasons, never dropped.",
)
def validated_files(context: AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource) -> MaterializeResult:
    t0 = time.perf_counter()
    with warehouse.writer() as con:
        ref = Reference.from_warehouse(con)
    staged = [validate_file(sf, ref, context.log.debug) for sf in staged_files(landing.staging, partition_keys(context))]
    read = sum(s.records_read for s in staged if s.outcome == "validated")
    quarantined = sum(s.records_quarantined for s in staged)
    return MaterializeResult(metadata={
        "files_validated": sum(s.outcome == "validated" for s in staged),
        "records_read": read,
        "records_clean": sum(s.records_loaded for s in staged),
        "records_quarantined": quarantined,
        "records_with_warnings": sum(s.records_warned for s in staged),
        "quarantined_pct": round(100.0 * quarantined / read, 4) if read else 0.0,
        "seconds": round(time.perf_counter() - t0, 3),
    })
