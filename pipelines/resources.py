"""Dagster resources: the warehouse DuckDB file (one resource, from HOSO_WAREHOUSE_DB) and the folders the
pipeline reads and writes. Declared once in definitions.py and injected into the assets."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import BetaWarning, ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings, pii_key
from stages.staging import hash_cache_path
from warehouse.db import apply_schema, configure, writer_lock
from warehouse.dbt_runner import PROJECT_DIR, launcher

# The daily assets use backfill_policy on purpose (a backfill range is one run); Dagster's "beta" notice about it
# would print six lines to stderr on every `hoso` command, burying its one-line errors.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)


class WarehouseResource(DuckDBResource):
    """The pipeline's own DuckDB file. Every access goes through the single-writer lock, so runs launched at the
    same time queue instead of failing on DuckDB's file lock."""

    @contextlib.contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.database):
            with self.get_connection() as con:
                configure(con)
                apply_schema(con)
                yield con

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The writer lock without a connection, the schema applied: for a writer in another process (dbt), which
        needs the file free of this process's connections while it writes."""
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.database):
            with self.get_connection() as con:
                configure(con)
                apply_schema(con)
            yield


class LandingResource(ConfigurableResource):
    """Where exports arrive, where stages hand frames to each other, and where the analysts' snapshot goes."""

    landing_dir: str
    staging_dir: str
    analytics_db: str
    docs_dir: str
    allow_demo_key: bool = False

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def staging(self) -> Path:
        return Path(self.staging_dir)

    @property
    def hash_cache(self) -> Path:
        return hash_cache_path(self.staging)

    def pii_key(self) -> str:
        return pii_key(allow_demo=self.allow_demo_key)


class DbtResource(DbtCliResource):
    """dagster-dbt's resource, without the dbt adapter it builds inside this process at every invocation: that
    adapter serves only fetch_row_counts / fetch_column_metadata, which would query the warehouse while dbt holds it
    (the marts asset reads its figures once dbt has finished), and building it parses every dbt macro: ~3 s a run."""

    def _initialize_dbt_core_adapter(self, args):  # dagster-dbt 0.29: tolerated as None (adapter is optional)
        return None


def dbt_resource() -> DbtCliResource:
    """The marts' dbt project (warehouse/dbt_project.yml), run through hoso-dbt (dies with its parent, offline)."""
    return DbtResource(project_dir=str(PROJECT_DIR), profiles_dir=str(PROJECT_DIR), dbt_executable=launcher())


def default_resources(settings: Settings | None = None, allow_demo_key: bool | None = None) -> dict:
    import os

    s = settings or Settings.from_env()
    demo = allow_demo_key if allow_demo_key is not None else os.environ.get("HOSO_DEMO") == "1"
    return {
        "warehouse": WarehouseResource(database=str(s.warehouse_db)),
        "landing": LandingResource(
            landing_dir=str(s.landing_dir),
            staging_dir=str(s.staging_dir),
            analytics_db=str(s.analytics_db),
            docs_dir=str(s.docs_dir),
            allow_demo_key=demo,
        ),
        "dbt": dbt_resource(),
    }
