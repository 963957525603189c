"""The one root Dagster Definitions of hoso-warehouse (workspace.yaml and `dagster dev` load this module)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from assets.extract import extracted_files
from assets.load import loaded_files
from assets.marts import marts
from assets.publish import analytics_snapshot
from assets.reference import reference_tables
from assets.validate import validated_files
from pipelines.resources import default_resources
from pipelines.sensors import landing_sensor
from pipelines.schedules import daily_after_cutoff

ALL_ASSETS = [reference_tables, extracted_files, validated_files, loaded_files, marts, analytics_snapshot]

# Run tags every job carries: `hoso/writer` marks the runs that write the warehouse (they queue on its lock);
# `hoso/files` and `hoso/days` say what a run covers (set by the CLI and the sensor at launch; the materialization
# metadata of loaded_files lists what it actually loaded).
daily_sync = define_asset_job(
    "daily_sync",
    selection=AssetSelection.all(),
    description="Load the day's new exports (or a backfill range, as one run), rebuild the marts and publish. "
    "The landing sensor and the 16:30 schedule launch it; launch it yourself for a day from the Partitions tab.",
    tags={"hoso/writer": "warehouse", "hoso/job": "daily_sync"},
)
full_rebuild = define_asset_job(
    "full_rebuild",
    selection=AssetSelection.all(),
    description="Every asset over every partition: launch it as a backfill of all partitions (Partitions tab -> "
    "Launch backfill -> all), which runs as one run (the daily assets have a single-run backfill policy). It "
    "re-reads every landing file; files already recorded (same sha256) are skipped, so it re-syncs and rebuilds "
    "the marts without touching what is loaded. To rebuild the warehouse from empty, use `hoso rebuild`: it sets "
    "the current warehouse aside and puts it back if the rebuild fails.",
    tags={"hoso/writer": "warehouse", "hoso/job": "full_rebuild"},
)
marts_only = define_asset_job(
    "marts_only",
    selection=AssetSelection.assets(marts, analytics_snapshot),
    description="Rebuild the marts and the analysts' snapshot from what the warehouse holds (e.g. another window "
    "or online-ratio definition: set ops.marts.config in the Launchpad). Loads nothing.",
    tags={"hoso/writer": "warehouse", "hoso/job": "marts_only"},
)

defs = Definitions(
    assets=ALL_ASSETS,
    jobs=[daily_sync, full_rebuild, marts_only],
    sensors=[landing_sensor],
    schedules=[daily_after_cutoff],
    resources=default_resources(),
)
