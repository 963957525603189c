"""The jobs of the code location. Every job carries `hoso/writer` (pipelines/tags.py: its runs write the warehouse
file it names and queue on it; `hoso/warehouse` by province and day, whose runs queue per province); `hoso/files`
and `hoso/days` say what a run covers (set by the CLI and the sensor at launch)."""

from pathlib import Path

from dagster import AssetSelection, define_asset_job

from assets.marts import MARTS_KEYS
from assets.publish import report, snapshot
from assets.upkeep import LAKE_GROUP, LAKE_STORAGE
from pipelines.tags import writer_tags

MARTS_AND_ANALYTICS = AssetSelection.assets(*MARTS_KEYS, snapshot, report)
# Every asset but the lake's storage (lake mode), which only its own job materializes. By group: a selection naming
# its key would not resolve without a lake, where the asset is not defined.
WAREHOUSE = AssetSelection.all() - AssetSelection.groups(LAKE_GROUP)


def build_jobs(warehouse_db: Path) -> list:
    """daily_sync, full_rebuild and marts_only, their runs tagged with the warehouse file they write."""
    writer = writer_tags(warehouse_db)
    daily_sync = define_asset_job(
        "daily_sync",
        selection=WAREHOUSE,
        description="Load the day's new exports (or a backfill range, as one run), rebuild the marts and publish. "
        "The landing sensor and the 16:30 schedule launch it; launch it yourself for a day from the Partitions "
        "tab.",
        tags={**writer, "hoso/job": "daily_sync"},
    )
    full_rebuild = define_asset_job(
        "full_rebuild",
        selection=WAREHOUSE,
        description="Every asset over every partition: launch it as a backfill of all partitions (Partitions tab -> "
        "Launch backfill -> all), which runs as one run (the daily assets have a single-run backfill policy). It "
        "re-reads every landing file; files already recorded (same sha256) are skipped, so it re-syncs and rebuilds "
        "the marts without touching what is loaded. To rebuild the warehouse from empty, use `hoso rebuild`: it sets "
        "the current warehouse aside and puts it back if the rebuild fails.",
        tags={**writer, "hoso/job": "full_rebuild"},
    )
    marts_only = define_asset_job(
        "marts_only",
        selection=MARTS_AND_ANALYTICS,
        description="Rebuild the marts, the analysts' snapshot and the report from what the warehouse holds (e.g. "
        "another window or online-ratio definition: set ops.marts.config in the Launchpad). Loads nothing.",
        tags={**writer, "hoso/job": "marts_only"},
    )
    return [daily_sync, full_rebuild, marts_only]


def build_lake_upkeep_job(warehouse_db: Path):
    """lake_upkeep (lake mode only): materializes the lake's storage; tagged as the warehouse's writer, it queues
    with the runs that load."""
    return define_asset_job(
        "lake_upkeep",
        selection=AssetSelection.assets(LAKE_STORAGE),
        tags={**writer_tags(warehouse_db), "hoso/job": "lake_upkeep"},
        description="Lake mode: the lake's upkeep (DuckLake's maintenance under the writer lock). The weekly "
        "schedule runs it; set ops.lake_upkeep.config.keep in the Launchpad for another retention.",
    )
