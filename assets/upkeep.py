"""The lake's upkeep (lake mode only): DuckLake's own maintenance (warehouse/lake.py upkeep) as an op, run by the
`lake_upkeep` job under the writer lock, so it takes its turn with the loads of every machine. Not an asset: it
changes how the tables are stored, not what they hold."""

from dagster import Config, Failure, OpExecutionContext, Output, op

from assets.resources import WarehouseResource
from warehouse.db import lake_setting
from warehouse.lake import DEFAULT_KEEP, upkeep


class UpkeepConfig(Config):
    keep: str = DEFAULT_KEEP  # how long replaced snapshots stay readable and their files on disk (an interval)


@op(description="Merge the lake's small files, rewrite files with many deleted rows, expire snapshots older than "
    "`keep` and delete the files nothing has needed for `keep` (orphans of writers that died included). Metadata: "
    "the lake's snapshots, data files and files on disk before and after.")
def lake_upkeep(context: OpExecutionContext, config: UpkeepConfig, warehouse: WarehouseResource) -> Output:
    lake = lake_setting()
    if lake is None:
        raise Failure(description="lake_upkeep is for lake mode (HOSO_LAKE): the embedded warehouse has no lake")
    with warehouse.writer() as con:
        figures = upkeep(con, lake, config.keep)
    context.log.info(f"lake upkeep: {figures['before']} -> {figures['after']}")
    return Output(None, metadata={f"{when}.{k}": v for when, census in figures.items() for k, v in census.items()
                                  if v is not None})
