"""Dagster resources: `warehouse`, the pipeline's own DuckDB file, and `paths`, the folders and files the pipeline
reads and writes besides it (landing, staging, analytics snapshot, docs). pipelines/definitions.py builds them
from the settings and injects them into the assets and the sensor."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import ConfigurableResource, Failure
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from assets.settings import pii_key
from stages.staging import hash_cache_path
from warehouse.db import WarehouseUnavailable, apply_schema, explained, open_warehouse, writer_lock
from warehouse.dbt_runner import PROJECT_DIR, launcher


class WarehouseFailure(Failure):
    """warehouse.db.WarehouseUnavailable as the step failure Dagster shows: its one line (what happened, what to
    do) is the failure's message in the run view, not "Error occurred while executing op"."""


class WarehouseResource(DuckDBResource):
    """The pipeline's own DuckDB file. Every access goes through the single-writer lock, so runs launched at the
    same time queue instead of failing on DuckDB's file lock. The connection is warehouse.db.open_warehouse's, not
    DuckDBResource's (which retries any IO error for ~100 s): a lock held by another process is waited on briefly,
    an unwritable, full or damaged warehouse fails the step at once with a WarehouseFailure saying what to do."""

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            con = open_warehouse(self.database)
        except WarehouseUnavailable as exc:
            raise WarehouseFailure(description=str(exc)) from exc
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            with writer_lock(self.database), explained(self.database):
                con = open_warehouse(self.database)
                try:
                    apply_schema(con)
                    yield con
                finally:
                    with contextlib.suppress(duckdb.Error):  # never hide the error that ended the block
                        con.close()
        except WarehouseUnavailable as exc:
            raise WarehouseFailure(description=str(exc), metadata={"warehouse": self.database}) from exc

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The writer lock without a connection, the schema applied: for a writer in another process (dbt), which
        needs the file free of this process's connections while it writes."""
        try:
            with writer_lock(self.database), explained(self.database):
                con = open_warehouse(self.database)
                try:
                    apply_schema(con)
                finally:
                    con.close()
                yield
        except WarehouseUnavailable as exc:
            raise WarehouseFailure(description=str(exc), metadata={"warehouse": self.database}) from exc


class DbtResource(DbtCliResource):
    """dagster-dbt's resource, without the dbt adapter it builds inside this process at every invocation: that
    adapter serves only fetch_row_counts / fetch_column_metadata, which would query the warehouse while dbt holds it
    (the marts asset reads its figures once dbt has finished), and building it parses every dbt macro: ~3 s a run."""

    def _initialize_dbt_core_adapter(self, args):  # dagster-dbt 0.29: tolerated as None (adapter is optional)
        return None


def dbt_resource() -> DbtCliResource:
    """The marts' dbt project (warehouse/dbt_project.yml), run through hoso-dbt (dies with its parent, offline)."""
    return DbtResource(project_dir=str(PROJECT_DIR), profiles_dir=str(PROJECT_DIR), dbt_executable=launcher())


class PathsResource(ConfigurableResource):
    """Where exports arrive (landing), where stages hand frames to each other (staging), where the analysts'
    snapshot and the docs (HTML report, data docs) go; and whether the public demo key may pseudonymise."""

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
    def docs(self) -> Path:
        return Path(self.docs_dir)

    @property
    def hash_cache(self) -> Path:
        return hash_cache_path(self.staging)

    def pii_key(self) -> str:
        return pii_key(allow_demo=self.allow_demo_key)
