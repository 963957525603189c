"""Load stage: the validated files of the run's partitions merged into the warehouse in one transaction
(warehouse/load.py): observations, children, tasks, quarantine, validation history, files and the current state."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.common import partition_keys
from pipelines.partitions import DAILY, SINGLE_RUN
from pipelines.resources import LandingResource, WarehouseResource
from stages.staging import prune, staged_files
from warehouse.load import load_files, new_load_id, seen_files


# The files of a load are listed by name in its materialization metadata, up to this many (the counts are complete).
FILES_LISTED = 200


def files_text(rows: list[tuple[str, str]]) -> str:
    """`relpath (outcome)` per line, capped at FILES_LISTED lines."""
    lines = [f"{relpath} ({outcome})" for relpath, outcome in rows[:FILES_LISTED]]
    if len(rows) > FILES_LISTED:
        lines.append(f"... and {len(rows) - FILES_LISTED} more (meta.files has them all)")
    return "\n".join(lines) or "none"


@asset(
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    group_name="load",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    deps=["validated_files"],
    description="core.dossier_observations (append-only history), core.dossiers (current state, one row per "
    "dossier code), child tables, tasks, core.quarantine, meta.loads and meta.files, in one transaction per load. "
    "Each materialization lists the files it loaded (metadata `loaded_files`) and counts the rows loaded and "
    "quarantined (plotted over time in the asset's Plots tab).",
)
def loaded_files(context: AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource) -> MaterializeResult:
    keys = partition_keys(context)
    staged = staged_files(landing.staging, keys)
    with warehouse.writer() as con:
        load = load_files(con, staged, new_load_id(), run_id=context.run.run_id,
                          partition_range=f"{keys[0]}..{keys[-1]}" if keys else None)
        dossiers = con.execute("SELECT count(*) FROM core.dossiers").fetchone()[0]
        files = con.execute("SELECT relpath, outcome FROM meta.files WHERE load_id = ? ORDER BY relpath",
                            [load["load_id"]]).fetchall() if load else []
        prune(landing.staging, seen_files(con)[0])
    if load is None:
        # The same numeric keys as a load, so the plots over time show a zero rather than a gap.
        return MaterializeResult(metadata={
            "load_id": "nothing new", "files": 0, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0,
            "rows_warned": 0, "dossiers_in_warehouse": dossiers, "loaded_files": MetadataValue.text("none")})
    context.log.info(f"load {load['load_id']}: {sum(o == 'loaded' for _, o in files)} files loaded, "
                     f"{sum(o != 'loaded' for _, o in files)} rejected or duplicate")
    return MaterializeResult(metadata={
        "load_id": load["load_id"],
        "files": load["files"],
        "loaded_files": MetadataValue.text(files_text(files)),
        "rows_read": load["rows_read"],
        "rows_loaded": load["rows_loaded"],
        "rows_quarantined": load["rows_quarantined"],
        "rows_warned": load["rows_warned"],
        "dossiers_in_warehouse": dossiers,
        "seconds": load["seconds"],
    })
