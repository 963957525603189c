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

daily_sync = define_asset_job(
    "daily_sync",
    selection=AssetSelection.all(),
    description="Load the day's new exports (or a backfill range, as one run), rebuild the marts and publish.",
    tags={"hoso/writer": "warehouse"},
)
marts_only = define_asset_job(
    "marts_only",
    selection=AssetSelection.assets(marts, analytics_snapshot),
    description="Rebuild the marts and the analysts' snapshot from what the warehouse holds (e.g. another window).",
    tags={"hoso/writer": "warehouse"},
)

defs = Definitions(
    assets=ALL_ASSETS,
    jobs=[daily_sync, marts_only],
    sensors=[landing_sensor],
    schedules=[daily_after_cutoff],
    resources=default_resources(),
)
