"""Reference stage: units, procedures and the published figures, extracted, validated and loaded whole (they are
small and every dossier check needs them). Files that match no known export are recorded here as rejected."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.resources import LandingResource, WarehouseResource
from sources.discover import discover
from stages.extract import extract_files, partition_of
from stages.staging import REFERENCE_PARTITION, prune
from stages.validate import empty_reference, validate_files
from warehouse.load import load_files, new_load_id, seen_files


@asset(
    group_name="reference",
    kinds={"duckdb", "polars"},
    owners=["team:data-engineering"],
    description="Reference tables ref.units, ref.procedures, ref.published_figures, loaded from reference/*.csv.",
)
def reference_tables(context: AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource) -> MaterializeResult:
    files = [f for f in discover(landing.landing, landing.hash_cache) if partition_of(f) == REFERENCE_PARTITION]
    with warehouse.writer() as con:
        seen, loaded = seen_files(con)
    staged = extract_files(files, landing.landing, landing.staging, landing.pii_key(), seen, loaded, context.log.info)
    validate_files(staged, empty_reference(), context.log.info)
    with warehouse.writer() as con:
        load = load_files(con, staged, new_load_id(), run_id=context.run.run_id, partition_range=REFERENCE_PARTITION)
        counts = dict(con.execute(
            "SELECT 'units', count(*) FROM ref.units UNION ALL SELECT 'procedures', count(*) FROM ref.procedures "
            "UNION ALL SELECT 'published_figures', count(*) FROM ref.published_figures").fetchall())
        prune(landing.staging, seen_files(con)[0])
    rejected = [f"{s.relpath}: {s.reason}" for s in staged if s.outcome == "rejected"]
    return MaterializeResult(metadata={
        "units": counts["units"], "procedures": counts["procedures"], "published_figures": counts["published_figures"],
        "files_new": len(staged), "files_rejected": len(rejected),
        "rejected": MetadataValue.text("\n".join(rejected) or "none"),
        "load_id": (load or {}).get("load_id") or "nothing new",
    })
