"""Reference tables: units, procedures and the published figures, extracted, validated and loaded whole (they are
small and every dossier check needs them), one asset per table. Files without a day (name or content) load here
too, into their own tables; files that match no known export are recorded here as rejected."""


from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.resources import PathsResource, WarehouseResource
from assets.tables import DESCRIPTIONS, REF_TABLES, row_counts, table_key, table_metadata
from sources.discover import discover
from stages.extract import extract_files, partition_of
from stages.staging import REFERENCE_PARTITION, prune
from stages.validate import empty_reference, validate_files
from warehouse.load import load_files, new_load_id, seen_files


@multi_asset(
    name="reference",
    specs=[AssetSpec(table_key(t), group_name="ref", kinds={"duckdb", "csv"}, owners=["team:data-engineering"],
                     description=DESCRIPTIONS[t]) for t in REF_TABLES],
)
def reference(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource):
    files = [f for f in discover(paths.landing, paths.hash_cache) if partition_of(f) == REFERENCE_PARTITION]
    with warehouse.writer() as con:
        seen, loaded = seen_files(con)
    staged = extract_files(files, paths.landing, paths.staging, paths.pii_key(), seen, loaded, context.log.info)
    validate_files(staged, empty_reference(), context.log.info)
    with warehouse.writer() as con:
        before = row_counts(con, REF_TABLES)
        load = load_files(con, staged, new_load_id(), run_id=context.run.run_id, partition_range=REFERENCE_PARTITION)
        tables = table_metadata(con, REF_TABLES, before)
        prune(paths.staging, seen_files(con)[0])
    rejected = [f"{s.relpath}: {s.reason}" for s in staged if s.outcome == "rejected"]
    # The reference load's figures on each table it may have replaced.
    figures = {"files_new": len(staged), "files_rejected": len(rejected),
               "rejected": MetadataValue.text("\n".join(rejected) or "none"),
               "load_id": (load or {}).get("load_id") or "nothing new"}
    for t in REF_TABLES:
        yield MaterializeResult(asset_key=table_key(t), metadata={**tables[t], **figures})
