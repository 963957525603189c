"""The lake-mode setting and DDL (warehouse/lake.py), in the main environment. Lake mode itself runs in tests/lake
(the lake environment, a real PostgreSQL)."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import duckdb
import pytest

from assets.upkeep import LAKE_STORAGE
from pipelines.definitions import build_definitions
from services import libpq, postgres_url  # noqa: F401
from test_cli import FIXTURE_LANDING, hoso, hoso_env, one_line_error
from test_pipeline import make_settings
from warehouse.db import sql_files, sql_text
from warehouse.lake import AVAILABLE, LAKE_DATA_ENV, LAKE_ENV, Lake, LakeError, lake_ddl, lake_from_env, writer_lock


def columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    rows = con.execute("SELECT schema_name || '.' || table_name, column_name, data_type, is_nullable "
                       "FROM duckdb_columns() WHERE NOT internal ORDER BY ALL").fetchall()
    out: dict[str, list[tuple]] = {}
    for table, *col in rows:
        out.setdefault(table, []).append(tuple(col))
    return out


def test_the_lake_ddl_has_no_keys_and_the_same_tables_with_keys_not_null() -> None:
    plain, lake = duckdb.connect(), duckdb.connect()
    keyed = 0
    for name in sql_files("schema"):
        sql = sql_text("schema", name)
        keyed += len(re.findall(r"PRIMARY KEY", sql))
        assert "PRIMARY KEY" not in lake_ddl(sql).upper()
        plain.execute(sql)
        lake.execute(lake_ddl(sql))
    assert keyed == 6  # meta.loads, meta.files, three ref tables, ref.code_labels
    want, got = columns(plain), columns(lake)
    assert got == want  # every table and column, key columns NOT NULL in both
    assert ("load_id", "VARCHAR", False) in got["meta.loads"] and ("relpath", "VARCHAR", False) in got["meta.files"]
    # and the keys are gone: a duplicate key is accepted by the lake's DDL, refused by the file's
    lake.execute("INSERT INTO meta.loads (load_id, started_at, status) VALUES ('x', now(), 'running'), ('x', now(), 'running')")
    with pytest.raises(duckdb.ConstraintException):
        plain.execute("INSERT INTO meta.loads (load_id, started_at, status) VALUES ('x', now(), 'running'), ('x', now(), 'running')")


def test_the_setting_is_checked() -> None:
    assert lake_from_env({}) is None
    lake = lake_from_env({LAKE_ENV: "ducklake:postgres:dbname=hoso host=db", LAKE_DATA_ENV: "/shared/lake/"})
    assert (lake.catalog, lake.data_path) == ("ducklake:postgres:dbname=hoso host=db", "/shared/lake/")
    with pytest.raises(LakeError, match=f"{LAKE_ENV} is set without {LAKE_DATA_ENV}"):
        lake_from_env({LAKE_ENV: "ducklake:postgres:dbname=hoso"})
    with pytest.raises(LakeError, match="must be a DuckLake catalog"):
        lake_from_env({LAKE_ENV: "postgres:dbname=hoso", LAKE_DATA_ENV: "/x/"})


@pytest.mark.skipif(AVAILABLE, reason="this is the lake environment")
def test_lake_mode_outside_the_lake_environment_stops_with_one_line(tmp_path) -> None:
    env = hoso_env(tmp_path) | {LAKE_ENV: "ducklake:postgres:dbname=hoso host=127.0.0.1", LAKE_DATA_ENV: "/x/",
                                "HOSO_LANDING_DIR": str(FIXTURE_LANDING)}
    line = one_line_error(hoso(env, "run", timeout=120))
    assert line == (f"hoso run: {LAKE_ENV} is set but this environment has no DuckLake extension: run lake mode in "
                    "the lake environment (requirements-lake.lock, DuckDB 1.5.5), e.g. ./dev lake run"), line


def test_the_lake_storage_its_job_and_its_schedule_exist_in_lake_mode_only(tmp_path, monkeypatch) -> None:
    """The lake's storage is an asset of lake mode only, materialized by its own job alone: the jobs that load
    select every other asset, as they do without a lake."""
    settings = make_settings(tmp_path, FIXTURE_LANDING)
    monkeypatch.delenv(LAKE_ENV, raising=False)
    embedded = build_definitions(settings)
    assert [j.name for j in embedded.jobs] == ["daily_sync", "full_rebuild", "marts_only"]
    assert [s.name for s in embedded.schedules] == ["daily_after_cutoff"]
    embedded_keys = {spec.key for spec in embedded.resolve_all_asset_specs()}
    assert LAKE_STORAGE not in embedded_keys
    monkeypatch.setenv(LAKE_ENV, "ducklake:postgres:dbname=hoso")
    monkeypatch.setenv(LAKE_DATA_ENV, str(tmp_path / "lake-data"))
    lake = build_definitions(settings)
    assert {spec.key for spec in lake.resolve_all_asset_specs()} == embedded_keys | {LAKE_STORAGE}
    upkeep = lake.resolve_job_def("lake_upkeep")
    assert upkeep.asset_layer.selected_asset_keys == {LAKE_STORAGE}
    for name in ("daily_sync", "full_rebuild"):
        selected = lake.resolve_job_def(name).asset_layer.selected_asset_keys
        assert selected == embedded.resolve_job_def(name).asset_layer.selected_asset_keys, name
        assert LAKE_STORAGE not in selected, name
    assert upkeep.tags["hoso/writer"] == str(settings.warehouse_db.resolve())  # it queues with the loads
    weekly = next(s for s in lake.schedules if s.name == "lake_upkeep_weekly")
    assert (weekly.job_name, weekly.cron_schedule, weekly.execution_timezone) == \
        ("lake_upkeep", "0 2 * * 0", "Asia/Ho_Chi_Minh")


def test_rebuild_in_lake_mode_says_how_to_rebuild_a_lake(tmp_path) -> None:
    """`hoso rebuild` sets the warehouse file aside: in lake mode that would leave the lake as it is."""
    env = hoso_env(tmp_path) | {LAKE_ENV: "ducklake:postgres:dbname=hoso host=127.0.0.1", LAKE_DATA_ENV: "/x/",
                                "HOSO_LANDING_DIR": str(FIXTURE_LANDING)}
    line = one_line_error(hoso(env, "rebuild", timeout=120))
    assert line == (f"hoso rebuild: in lake mode the warehouse's tables are in the lake, not in {tmp_path / 'warehouse.duckdb'}: "
                    f"to rebuild, point {LAKE_ENV} and {LAKE_DATA_ENV} at a new catalog and folder and run `hoso run`")
    assert not (tmp_path / "warehouse.duckdb.before-rebuild").exists()


HOLD = """
import sys, time
from warehouse.lake import Lake, writer_lock
with writer_lock(Lake(sys.argv[1], "/unused/"), timeout_s=5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.mark.slow
def test_the_lakes_writer_lock_is_one_writer_at_a_time_across_processes(postgres_url) -> None:  # noqa: F811
    """The lake's writer lock (a PostgreSQL advisory lock in the catalog's database; no DuckLake needed for it):
    held by another process it is waited on, then refused with TimeoutError; a holder killed with SIGKILL releases it
    at once."""
    lake = Lake("ducklake:postgres:" + libpq(postgres_url), "/unused/")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, lake.catalog, "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(TimeoutError, match="another writer has held the lake's writer lock"):
            with writer_lock(lake, timeout_s=1.0):
                pass
        assert 1.0 <= time.monotonic() - t0 < 5
        holder.kill()  # SIGKILL: no clean-up; the server ends its session and the lock with it
        holder.wait()
        t0 = time.monotonic()
        with writer_lock(lake, timeout_s=10.0):
            assert time.monotonic() - t0 < 5
    finally:
        holder.kill()
        holder.wait()
    # a catalog that cannot be reached: one line naming it
    with pytest.raises(LakeError, match=r"^the lake's catalog \(ducklake:postgres:.*port=1 .*\) cannot be reached"):
        with writer_lock(Lake("ducklake:postgres:host=127.0.0.1 port=1 user=x dbname=x", "/unused/"), 1.0):
            pass
    # another kind of catalog: no catalog lock (only the local file's, warehouse/db.py)
    with writer_lock(Lake("ducklake:metadata.sqlite", "/unused/"), 0.0):
        pass
