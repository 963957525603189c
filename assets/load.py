"""Load stage: every validated file waiting in the staging area merged into the warehouse in one transaction
(warehouse/load.py). One asset per table the transaction writes: observations, current state, child tables, tasks,
quarantine, and the load, file and validation history; each materialization carries its table's row count, the
rows this load added and its column schema.

By day (the default) the tables are not partitioned: they hold every day loaded so far, and a load takes whatever
the validate stage has passed, whichever run validated it (the files are re-checked under the writer lock, so nothing
loads twice). A partitioned multi_asset would write a materialization per table per day of a backfill range: 14
tables x 37 days cost ~9 s of event storage on the sample world for no information (measured; the load itself is
unchanged). By province and day (HOSO_PROVINCES) the load is partitioned like the stages before it: a run loads the
staged parts of its provinces only (of any day), so one province's records are written by one run at a time.
"""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.partitions import PARTITIONS, PROVINCES, run_partitions
from assets.resources import PathsResource, WarehouseResource
from assets.tables import DESCRIPTIONS, LOAD_TABLES, row_counts, table_key, table_metadata
from stages.staging import dated_partitions, prune, staged_files
from stages.validate import Reference, out_of_date, validation_key
from warehouse.load import load_files, new_load_id, seen_files


# The files of a load are listed by name in its materialization metadata, up to this many (the counts are complete).
FILES_LISTED = 200


def files_text(rows: list[tuple[str, str]]) -> str:
    """`relpath (outcome)` per line, capped at FILES_LISTED lines."""
    lines = [f"{relpath} ({outcome})" for relpath, outcome in rows[:FILES_LISTED]]
    if len(rows) > FILES_LISTED:
        lines.append(f"... and {len(rows) - FILES_LISTED} more (meta.files has them all)")
    return "\n".join(lines) or "none"


def loaded_range(days: list[str], provinces: set[str] | None) -> str | None:
    """meta.loads.partition_range: the staged days a load took (and its provinces, by province and day)."""
    if not days:
        return None
    return f"{days[0]}..{days[-1]}" + (f" provinces {','.join(sorted(provinces))}" if provinces else "")


def load_figures(load: dict | None, files: list[tuple[str, str]]) -> dict[str, dict]:
    """The load's own figures, on the tables they describe. Nothing new: the same numeric keys as a load, so the
    plots over time show a zero rather than a gap."""
    load = load or {"load_id": "nothing new", "files": 0, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0,
                    "rows_warned": 0}
    figures = {k: load[k] for k in ("load_id", "files", "rows_read", "rows_loaded", "rows_quarantined",
                                    "rows_warned")}
    if load.get("seconds") is not None:
        figures["seconds"] = load["seconds"]
    return {
        "meta.loads": figures,
        "meta.files": {"load_id": load["load_id"], "files": load["files"],
                       "loaded_files": MetadataValue.text(files_text(files))},
        "core.dossier_observations": {"load_id": load["load_id"], "rows_loaded": load["rows_loaded"]},
        "core.quarantine": {"load_id": load["load_id"], "rows_quarantined": load["rows_quarantined"]},
    }


@multi_asset(
    name="load",
    specs=[AssetSpec(table_key(t), deps=[AssetKey(["staging", "validated_exports"])], group_name=t.split(".")[0],
                     kinds={"duckdb"}, owners=["team:data-engineering"], description=DESCRIPTIONS[t])
           for t in LOAD_TABLES],
    partitions_def=PARTITIONS if PROVINCES else None,
    description="One DuckDB transaction per load writes all these tables, or none. meta/files lists the files of "
    "the load (metadata `loaded_files`); meta/loads carries its figures (rows loaded and quarantined, plotted over "
    "time in the Plots tab).",
)
def load(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource):
    keys = dated_partitions(paths.staging)
    provinces = run_partitions(context)[1] if PROVINCES else None
    staged = staged_files(paths.staging, keys, provinces)
    with warehouse.writer() as con:
        # A file validated against another reference (or suites) than the warehouse's now waits for the validate
        # step of a run over its day to validate it again; blocked files wait too (warehouse.load.load_files).
        key = validation_key(Reference.from_warehouse(con))
        staged = [s for s in staged if not out_of_date(s, key) or s.outcome == "blocked"]
        before = row_counts(con, LOAD_TABLES)
        done = load_files(con, staged, new_load_id(), run_id=context.run.run_id,
                          partition_range=loaded_range(keys, provinces))
        tables = table_metadata(con, LOAD_TABLES, before)
        files = con.execute("SELECT relpath, outcome FROM meta.files WHERE load_id = ? ORDER BY relpath",
                            [done["load_id"]]).fetchall() if done else []
        prune(paths.staging, seen_files(con)[0])
    if done:
        context.log.info(f"load {done['load_id']}: {sum(o == 'loaded' for _, o in files)} files loaded, "
                         f"{sum(o != 'loaded' for _, o in files)} rejected or duplicate")
    figures = load_figures(done, files)
    for t in LOAD_TABLES:
        yield MaterializeResult(asset_key=table_key(t), metadata={**tables[t], **figures.get(t, {})})
