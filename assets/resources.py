"""Dagster resources: `warehouse`, the pipeline's own DuckDB file, and `paths`, the folders and files the pipeline
reads and writes besides it (landing, staging, analytics snapshot, docs). pipelines/definitions.py builds them
from the settings and injects them into the assets and the sensor."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from assets.settings import pii_key
from stages.staging import hash_cache_path
from warehouse.db import apply_schema, configure, writer_lock


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
