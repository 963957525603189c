"""Extract stage: the landing folder's new files of the run's partitions, parsed into canonical frames in the
staging area (stages/extract.py)."""


import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.partitions import BACKFILL, PARTITIONS, PROVINCES, run_partitions
from assets.progress import BatchedLog
from assets.resources import PathsResource, WarehouseResource
from sources.discover import discover
from stages.extract import extract_files, partition_of
from warehouse.load import seen_files


@asset(
    key=["staging", "extracted_exports"],
    partitions_def=PARTITIONS,
    backfill_policy=BACKFILL,
    group_name="staging",
    kinds={"python", "polars", "parquet"},
    owners=["team:data-engineering"],
    description="Portal JSON batches, provincial CSV/XLSX exports and task exports of the partition's days, parsed "
    "into canonical Polars frames with lineage (staged as Parquet). Files already recorded are skipped. By province "
    "and day (HOSO_PROVINCES), each file is split into one part per province and the partition's province's parts "
    "go on.",
)
def extracted_exports(context: AssetExecutionContext, warehouse: WarehouseResource,
                      paths: PathsResource) -> MaterializeResult:
    t0 = time.perf_counter()
    days, provinces = run_partitions(context)
    files = [f for f in discover(paths.landing, paths.hash_cache) if partition_of(f) in set(days)]
    with warehouse.writer() as con:
        seen, loaded = seen_files(con)
    with BatchedLog(context.log.debug) as progress:
        staged = extract_files(files, paths.landing, paths.staging, paths.pii_key(), seen, loaded, progress,
                               provinces=PROVINCES, wanted=provinces)
    rejected = [f"{s.relpath}: {s.reason}" for s in staged if s.outcome == "rejected"]
    return MaterializeResult(metadata={
        "files_in_partitions": len(files),
        "files_new": len(staged),
        "files_rejected": len(rejected),
        "files_duplicate": sum(s.outcome == "duplicate_file" for s in staged),
        "records_read": sum(s.records_read for s in staged),
        "rejected": MetadataValue.text("\n".join(rejected) or "none"),
        "seconds": round(time.perf_counter() - t0, 3),
    })
