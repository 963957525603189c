"""Load stage: the validated files of the run's partitions merged into the warehouse in one transaction
(warehouse/load.py): observations, children, tasks, quarantine, validation history, files and the current state."""


from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.common import partition_keys
from pipelines.partitions import DAILY, SINGLE_RUN
from pipelines.resources import LandingResource, WarehouseResource
from stages.staging import prune, staged_files
from warehouse.load import load_files, new_load_id, seen_files


@asset(
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    group_name="load",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    deps=["validated_files"],
    description="core.dossier_observations (append-only history), core.dossiers (current state, one row per "
    "dossier code), child tables, tasks, core.quarantine, meta.loads and meta.files, in one transaction per load.",
)
def loaded_files(context: AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource) -> MaterializeResult:
    keys = partition_keys(context)
    staged = staged_files(landing.staging, keys)
    with warehouse.writer() as con:
        load = load_files(con, staged, new_load_id(), run_id=context.run_id,
                          partition_range=f"{keys[0]}..{keys[-1]}" if keys else None)
        dossiers = con.execute("SELECT count(*) FROM core.dossiers").fetchone()[0]
        prune(landing.staging, seen_files(con)[0])
    if load is None:
        return MaterializeResult(metadata={"load_id": "nothing new", "files": 0, "dossiers_in_warehouse": dossiers})
    return MaterializeResult(metadata={
        "load_id": load["load_id"],
        "files": load["files"],
        "rows_read": load["rows_read"],
        "rows_loaded": load["rows_loaded"],
        "rows_quarantined": load["rows_quarantined"],
        "rows_warned": load["rows_warned"],
        "dossiers_in_warehouse": dossiers,
        "seconds": load["seconds"],
    })
