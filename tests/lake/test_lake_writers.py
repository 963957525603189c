"""Several writers on one lake at once: worker processes, each with its own landing folder, local session file and
staging area (as on separate machines), load different days of the small world into one DuckLake concurrently;
one of them is SIGKILLed as it commits and run again. The lake they leave equals the warehouse of one process
loading everything, an analyst reading all along never sees a partial load, and no dossier has two current rows.
And one worker killed at each crash point of the load, the marts and the snapshot (stages/faults.py), the next
run completing: the same warehouse, nothing half-written visible after any kill.

Runs in the lake environment with a real PostgreSQL (tests/services.py), like test_lake_mode.py.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from assets.upkeep import LAKE_STORAGE
from bench.lake import split_by_day
from services import new_database, postgres_url  # noqa: F401
from tests.lake.test_lake_mode import RUN_COLUMNS, fingerprints
from tests.test_cli import CHECKOUT, FIXTURE_LANDING, hoso, hoso_env
from warehouse.lake import LAKE_DATA_ENV, LAKE_ENV, Lake, attach, census

pytestmark = pytest.mark.slow

WORKERS = 4
# One load per worker run, not one in all: meta.loads (compared by its sums below), the marts of the loads.
PER_RUN_TABLES = {"meta.loads", "data_quality.load_summary"}
# What depends on how the files were cut into loads, by definition: how many loads succeeded. (Whether a quarantined
# record counts as resolved does not: warehouse/load/merge_dossiers.sql decides it by observation time, so the
# data-quality marts' records_resolved and records_open are compared too.)
ORDER_COLUMNS = RUN_COLUMNS | {"loads_succeeded"}


def start(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", "--quiet", "run"], cwd=CHECKOUT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))


# One snapshot of the lake, as an analyst reads it: (observations of a load that has not succeeded, dossiers
# observed, current rows, dossiers with a current row). Consistent when the first is 0 and the others are equal.
CONSISTENCY = """
    SELECT (SELECT count(*) FROM core.dossier_observations o
            WHERE o.load_id NOT IN (SELECT load_id FROM meta.loads WHERE status = 'succeeded')),
           (SELECT count(DISTINCT dossier_code) FROM core.dossier_observations),
           (SELECT count(*) FROM core.dossiers),
           (SELECT count(DISTINCT dossier_code) FROM core.dossiers)"""


def consistent(row: tuple) -> bool:
    return row[0] == 0 and row[1] == row[2] == row[3]


class Analyst(threading.Thread):
    """Reads the lake over and over while the workers write, each read one transaction (one snapshot), and keeps
    every inconsistency it sees: an observation of a load that has not succeeded, a dossier observed but without its
    current row, a dossier with two."""

    def __init__(self, lake: Lake):
        super().__init__(daemon=True)
        self.lake, self.stop, self.reads, self.seen, self.broken = lake, threading.Event(), 0, set(), []

    def run(self) -> None:
        con = duckdb.connect()
        while True:  # until the first writer has made the lake
            try:
                attach(con, self.lake, read_only=True)
                break
            except duckdb.InvalidInputException:
                time.sleep(0.2)
        with contextlib.closing(con):
            while not self.stop.is_set():
                try:
                    con.execute("BEGIN TRANSACTION")
                    row = con.execute(CONSISTENCY).fetchone()
                    con.execute("COMMIT")
                except duckdb.CatalogException:  # before the first writer has made the tables
                    con.execute("ROLLBACK")
                    time.sleep(0.2)
                    continue
                self.reads += 1
                self.seen.add(row[1])
                if not consistent(row):
                    self.broken.append(row)
                time.sleep(0.1)


def test_four_workers_at_once_give_the_one_process_warehouse(small_world_dir: Path, tmp_path: Path,
                                                              postgres_url: str) -> None:  # noqa: F811
    # One process loading everything, embedded: what the lake must equal.
    one = hoso_env(tmp_path / "one", landing=small_world_dir)
    res = subprocess.run([sys.executable, "-m", "cli", "--quiet", "run"], cwd=CHECKOUT, env=one, text=True,
                         capture_output=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    with contextlib.closing(duckdb.connect(one["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        want = fingerprints(con, ORDER_COLUMNS)
        want_loads = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM meta.loads "
                                 "WHERE status = 'succeeded'").fetchone()

    lake = Lake("ducklake:postgres:" + new_database(postgres_url), f"{tmp_path / 'lake-data'}/")
    # bench/lake.py's split, of every file of the world (manifest.json too: meta.files is compared)
    files = sorted(p.relative_to(small_world_dir).as_posix() for p in small_world_dir.rglob("*") if p.is_file())
    landings = split_by_day(small_world_dir, files, tmp_path, WORKERS)
    envs = [hoso_env(tmp_path / f"worker-{i}", landing=landings[i])
            | {LAKE_ENV: lake.catalog, LAKE_DATA_ENV: lake.data_path} for i in range(WORKERS)]
    # Worker 0 is killed (SIGKILL, no clean-up) when its load is about to commit.
    envs[0] = envs[0] | {"HOSO_CRASH_AT": "load.committing"}
    analyst = Analyst(lake)
    analyst.start()
    logs = [tmp_path / f"worker-{i}.log" for i in range(WORKERS)]
    procs = [start(env, log) for env, log in zip(envs, logs)]
    codes = [p.wait(timeout=1800) for p in procs]
    assert codes[0] == -9 and codes[1:] == [0] * (WORKERS - 1), [(c, log.read_text()[-2000:])
                                                                for c, log in zip(codes, logs)]
    # The killed worker's lock died with it; run again, it loads its days.
    del envs[0]["HOSO_CRASH_AT"]
    rerun = start(envs[0], logs[0])
    assert rerun.wait(timeout=1800) == 0, logs[0].read_text()[-3000:]
    analyst.stop.set()
    analyst.join(timeout=60)

    # The analyst read while the lake grew, and never saw a partial load.
    assert analyst.reads > 10 and len(analyst.seen) > 2, (analyst.reads, sorted(analyst.seen))
    assert analyst.broken == []

    with contextlib.closing(attach(duckdb.connect(), lake, read_only=True)) as con:
        got = fingerprints(con, ORDER_COLUMNS)
        loads = con.execute("SELECT status, count(*) FROM meta.loads GROUP BY ALL ORDER BY ALL").fetchall()
        got_loads = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM meta.loads "
                                "WHERE status = 'succeeded'").fetchone()
        # Dossiers the workers shared (observed in the days of two or more of them): the merges that had to take
        # turns. With none, the test would prove nothing about the race.
        shared = con.execute("SELECT count(*) FROM (SELECT dossier_code FROM core.dossier_observations "
                             "GROUP BY ALL HAVING count(DISTINCT load_id) > 1)").fetchone()[0]
        doubled = con.execute("SELECT count(*) - count(DISTINCT dossier_code) FROM core.dossiers").fetchone()[0]
    assert shared > 100 and doubled == 0, (shared, doubled)
    # The killed load is recorded failed (nothing of it committed), the rerun's load succeeded.
    assert ("failed", 1) in loads and dict(loads).get("running") is None, loads
    assert got_loads == want_loads
    assert {t: v for t, v in got.items() if t not in PER_RUN_TABLES} == \
           {t: v for t, v in want.items() if t not in PER_RUN_TABLES}


# Where a lake worker is killed, in pipeline order on one landing folder: four times before its load commits (each
# run recovering the one before), once just after, then in the dbt build and in the snapshot's copy.
KILL_POINTS = ["load.running", "load.file:1", "load.merged", "load.committing", "load.committed", "marts.model:2",
               "publish.table:3"]
KILLED_LOADS = 4  # the kills before a commit: each leaves a load that the next writer marks failed


def test_a_lake_worker_killed_at_each_point_then_the_next_run_completes(tmp_path: Path,
                                                                         postgres_url: str) -> None:  # noqa: F811
    one = hoso_env(tmp_path / "one", landing=FIXTURE_LANDING)
    assert hoso(one, "--quiet", "run").returncode == 0
    with contextlib.closing(duckdb.connect(one["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        want = fingerprints(con, ORDER_COLUMNS)
        want_loads = con.execute("SELECT status, count(*) FROM meta.loads GROUP BY ALL ORDER BY ALL").fetchall()
    assert [status for status, _ in want_loads] == ["succeeded"], want_loads
    lake = Lake("ducklake:postgres:" + new_database(postgres_url), f"{tmp_path / 'lake-data'}/")
    env = hoso_env(tmp_path / "worker", landing=FIXTURE_LANDING) | {LAKE_ENV: lake.catalog,
                                                                    LAKE_DATA_ENV: lake.data_path}
    for point in KILL_POINTS:
        res = hoso(env | {"HOSO_CRASH_AT": point}, "--quiet", "run")
        assert res.returncode == -9, (point, res.returncode, res.stderr[-2000:])
        with contextlib.closing(attach(duckdb.connect(), lake, read_only=True)) as con:
            row = con.execute(CONSISTENCY).fetchone()
            running = con.execute("SELECT count(*) FROM meta.loads WHERE status = 'running'").fetchone()[0]
        assert consistent(row) and running <= 1, (point, row, running)
    res = hoso(env, "--quiet", "run")
    assert res.returncode == 0, res.stderr[-3000:]
    with contextlib.closing(attach(duckdb.connect(), lake, read_only=True)) as con:
        got = fingerprints(con, ORDER_COLUMNS)
        loads = con.execute("SELECT status, count(*) FROM meta.loads GROUP BY ALL ORDER BY ALL").fetchall()
    # the loads of one clean run, and the killed ones failed
    assert loads == [("failed", KILLED_LOADS), *want_loads], (loads, want_loads)
    assert {t: v for t, v in got.items() if t not in PER_RUN_TABLES} == \
           {t: v for t, v in want.items() if t not in PER_RUN_TABLES}

    # The lake's upkeep, as a data engineer launches it (`dagster job execute`), with a retention of 1 s so that three
    # runs do what weekly runs do over weeks: merge and expire, then schedule the replaced files, then delete them,
    # and the Parquet file of a writer that died before its commit (planted: inlining may leave none of its own).
    data = Path(lake.data_path)
    orphan = data / "core" / "dossiers" / "ducklake-orphan-of-a-killed-writer.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    duckdb.execute(f"COPY (SELECT 1 AS x) TO '{orphan}' (FORMAT parquet)")
    with contextlib.closing(attach(duckdb.connect(), lake, read_only=True)) as con:
        before = census(con, lake)
        every_table = fingerprints(con, set())
    config = tmp_path / "upkeep.yaml"
    config.write_text('ops:\n  lake_upkeep:\n    config:\n      keep: "1 second"\n')
    for _ in range(3):
        time.sleep(1.5)
        res = subprocess.run([str(Path(sys.executable).parent / "dagster"), "job", "execute", "-m",
                              "pipelines.definitions", "-j", "lake_upkeep", "-c", str(config)], cwd=CHECKOUT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr[-3000:]
    with contextlib.closing(attach(duckdb.connect(), lake, read_only=True)) as con:
        after = census(con, lake)
        assert fingerprints(con, set()) == every_table  # the same content, every column
    on_disk = sorted(data.rglob("*.parquet"))
    assert not orphan.exists()
    assert after["snapshots"] == 1 < before["snapshots"], (before, after)
    # every table in one file at most: the loads' small files merged, the rows inlined in the catalog flushed to files
    assert after["data_files"] <= len(every_table), (before, after)
    assert len(on_disk) == after["data_files"] + after["delete_files"], (before, after, on_disk)
    # Each run materialized the lake's storage asset; the last one's metadata is the lake's census after it.
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        events = instance.fetch_materializations(LAKE_STORAGE, limit=10).records
    assert len(events) == 3, events
    metadata = events[0].asset_materialization.metadata
    assert {k: metadata[f"after.{k}"].value for k in ("snapshots", "data_files", "delete_files")} == \
        {k: after[k] for k in ("snapshots", "data_files", "delete_files")}, metadata


def test_the_race_the_writer_lock_is_for(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """DuckLake 1.5.5's own behaviour, which the writer lock (warehouse/lake.py) keeps away from the merge: two
    transactions at once, each deleting a key that is not there (no row) and inserting it, both commit. Should a
    DuckLake release refuse the second, this test fails and says the lock may be revisited."""
    lake = Lake("ducklake:postgres:" + new_database(postgres_url), f"{tmp_path / 'lake-data'}/")
    a, b = (attach(duckdb.connect(), lake) for _ in range(2))
    try:
        a.execute("CREATE TABLE t (k INTEGER, v INTEGER)")
        for con, v in ((a, 1), (b, 2)):
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM t WHERE k = 5")
            con.execute("INSERT INTO t VALUES (5, ?)", [v])
        a.execute("COMMIT")
        b.execute("COMMIT")
        assert a.execute("SELECT count(*) FROM t WHERE k = 5").fetchone() == (2,), \
            "DuckLake now refuses the second commit: the writer lock may no longer be needed for the merge"
    finally:
        a.close()
        b.close()
