"""The lake's storage (lake mode only): an asset whose materialization is DuckLake's own maintenance
(warehouse/lake.py upkeep), under the writer lock, so it takes its turn with the loads of every machine. It changes
how the tables are stored, not what they hold: its metadata is the lake's census before and after (snapshots, data
files, files on disk), plotted over time on the asset's page. Materialized by the `lake_upkeep` job on the weekly
schedule, never by the jobs that load."""

from dagster import AssetKey, AssetSpec, Config, Failure, MaterializeResult, OpExecutionContext, multi_asset

from assets.resources import WarehouseResource
from warehouse.db import lake_setting
from warehouse.lake import DEFAULT_KEEP, upkeep

LAKE_STORAGE = AssetKey(["lake", "storage"])
LAKE_GROUP = "lake"  # its group, which the loading jobs leave out (pipelines/jobs.py)


class UpkeepConfig(Config):
    keep: str = DEFAULT_KEEP  # how long replaced snapshots stay readable and their files on disk (an interval)


# A multi_asset for its op's name: the Launchpad's config stays `ops.lake_upkeep.config.keep`.
@multi_asset(
    name="lake_upkeep",
    specs=[AssetSpec(LAKE_STORAGE, group_name=LAKE_GROUP, kinds={"ducklake", "parquet"},
                     owners=["team:data-engineering"],
                     description="The lake's Parquet files and snapshots. Materializing it merges the small files, "
                     "rewrites files with many deleted rows, expires snapshots older than `keep` and deletes the files "
                     "nothing has needed for `keep` (orphans of writers that died included). Metadata: the lake's "
                     "snapshots, data files and files on disk before and after.")],
)
def lake_upkeep(context: OpExecutionContext, config: UpkeepConfig, warehouse: WarehouseResource):
    lake = lake_setting()
    if lake is None:
        raise Failure(description="lake_upkeep is for lake mode (HOSO_LAKE): the embedded warehouse has no lake")
    with warehouse.writer() as con:
        figures = upkeep(con, lake, config.keep)
    context.log.info(f"lake upkeep: {figures['before']} -> {figures['after']}")
    return MaterializeResult(asset_key=LAKE_STORAGE, metadata={
        f"{when}.{k}": v for when, census in figures.items() for k, v in census.items() if v is not None})
