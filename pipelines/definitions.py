"""The one Dagster Definitions of hoso-warehouse, built by build_definitions(); workspace.yaml and `dagster dev`
load `defs` below, the `hoso` command line builds its own from the same function with its settings."""

from __future__ import annotations

import os

from dagster import Definitions, multiprocess_executor

from assets.extract import extracted_exports
from assets.load import load
from assets.marts import marts
from assets.publish import report, snapshot
from assets.reference import reference
from assets.resources import PathsResource, WarehouseResource, dbt_resource
from assets.settings import Settings
from assets.upkeep import lake_upkeep
from assets.validate import validated_exports
from pipelines.jobs import build_jobs, build_lake_upkeep_job
from pipelines.schedules import daily_after_cutoff, lake_upkeep_weekly
from pipelines.sensors import landing_sensor
from warehouse.lake import lake_mode

ASSETS = [reference, extracted_exports, validated_exports, load, marts, snapshot, report]

# A launched run (sensor, schedule, UI, backfill) runs each step in a process of its own (`hoso run` runs its steps
# in its own process). Spawned, each of them imported this module again, ~3-4 s before the step began (7 steps a
# daily run); forked from a server that imports it once per run, a step begins in well under a second. Dagster's own
# forkserver option, with this module named: by default it preloads only Dagster when the code location is loaded
# as a module (workspace.yaml).
PRELOADED = ["pipelines.definitions"]  # this module, as workspace.yaml names it
STEP_PROCESSES = multiprocess_executor.configured({"start_method": {"forkserver": {"preload_modules": PRELOADED}}})


def build_resources(settings: Settings, allow_demo_key: bool = False) -> dict:
    return {
        "warehouse": WarehouseResource(database=str(settings.warehouse_db)),
        "paths": PathsResource(
            landing_dir=str(settings.landing_dir),
            staging_dir=str(settings.staging_dir),
            analytics_db=str(settings.analytics_db),
            docs_dir=str(settings.docs_dir),
            allow_demo_key=allow_demo_key,
        ),
        "dbt": dbt_resource(),
    }


def build_definitions(settings: Settings, allow_demo_key: bool = False) -> Definitions:
    """Assets, checks, jobs, sensor, schedules and resources over the files `settings` names; in lake mode
    (HOSO_LAKE) also the lake's storage, its upkeep job and their weekly schedule."""
    lake = lake_mode()
    return Definitions(
        assets=ASSETS + ([lake_upkeep] if lake else []),
        jobs=build_jobs(settings.warehouse_db) + ([build_lake_upkeep_job(settings.warehouse_db)] if lake else []),
        sensors=[landing_sensor],
        schedules=[daily_after_cutoff] + ([lake_upkeep_weekly] if lake else []),
        resources=build_resources(settings, allow_demo_key),
        executor=STEP_PROCESSES,
    )


# HOSO_DEMO=1 lets the UI's runs pseudonymise with the public demo key (the sample world only).
defs = build_definitions(Settings.from_env(), allow_demo_key=os.environ.get("HOSO_DEMO") == "1")
