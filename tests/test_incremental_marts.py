"""fct_case_files is built incrementally (warehouse/macros/incremental.sql): a build rewrites the dossiers merged by
loads it has not seen and leaves the others as they are; a new window, new reference tables or dossiers deleted by
hand are followed; the marts of a warehouse loaded day after day are those of a full build of the same warehouse;
and the analysts' snapshot carries the table over, rewriting only those dossiers (warehouse/publish.py)."""

from __future__ import annotations

import contextlib
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, PartitionKeyRange

from test_pipeline import make_settings, table_fingerprints
from warehouse.db import connect
from warehouse.dbt_runner import VN, MartParams, build_marts, run_dbt
from warehouse.publish import publish

KEPT = "(kept from the build before)"


def marts_fingerprints(db: Path) -> dict:
    return {t: v for t, v in table_fingerprints(db).items() if t.startswith("marts.")}


def all_passed(result: dict) -> bool:
    return result["returncode"] == 0 and set(result["statuses"].values()) <= {"pass", "success"}


def full_build_of_a_copy(db: Path, folder: Path, params: MartParams = MartParams()) -> Path:
    """A copy of the warehouse with its marts built again from nothing (`dbt build --full-refresh`)."""
    folder.mkdir()
    copy = folder / db.name
    shutil.copyfile(db, copy)
    res = run_dbt(["build", "--full-refresh"], copy, params, check=False)
    assert res.returncode == 0, res.stdout[-3000:]
    return copy


def mark_every_row(db: Path) -> None:
    """Every fct_case_files row marked, to see afterwards which ones a build wrote."""
    with contextlib.closing(duckdb.connect(str(db))) as con:
        con.execute("UPDATE marts.fct_case_files SET unit_name = ?", [KEPT])


def kept_and_rebuilt(db: Path) -> tuple[set[str], set[str]]:
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        rows = con.execute("SELECT dossier_code, unit_name = ? FROM marts.fct_case_files", [KEPT]).fetchall()
    return {c for c, kept in rows if kept}, {c for c, kept in rows if not kept}


@pytest.fixture(scope="module")
def day_by_day(small_world_dir, tmp_path_factory) -> Path:
    """The small world loaded by the daily job: all its days but the last two as one range, then each of those
    two alone, the marts built by each run."""
    from assets.partitions import DAILY
    from cli.run import RANGE_END_TAG, RANGE_START_TAG, partition_range
    from pipelines.definitions import build_definitions

    settings = make_settings(tmp_path_factory.mktemp("day_by_day"), small_world_dir)
    keys = DAILY.get_partition_keys_in_range(PartitionKeyRange(*partition_range(small_world_dir)))
    job = build_definitions(settings, allow_demo_key=True).resolve_job_def("daily_sync")
    with DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance, tags={RANGE_START_TAG: keys[0],
                                                               RANGE_END_TAG: keys[-3]}).success
        for key in keys[-2:]:
            assert job.execute_in_process(instance=instance, partition_key=key).success
    return settings.warehouse_db


@pytest.mark.slow
def test_marts_built_day_by_day_are_those_of_a_full_build(day_by_day, tmp_path):
    full = full_build_of_a_copy(day_by_day, tmp_path / "full")
    want = marts_fingerprints(full)
    assert len(want) == 16 and want["marts.fct_case_files"][0] > 1000
    assert marts_fingerprints(day_by_day) == want


@pytest.mark.slow
def test_a_build_rewrites_only_the_dossiers_of_loads_it_has_not_seen(day_by_day, tmp_path):
    db = tmp_path / day_by_day.name
    shutil.copyfile(day_by_day, db)
    mark_every_row(db)
    # A load's merge, by hand: ten dossiers recomputed under a new load id, one of them now returned.
    with contextlib.closing(duckdb.connect(str(db))) as con:
        codes = [c for (c,) in con.execute("SELECT dossier_code FROM core.dossiers WHERE status <> 10 "
                                           "ORDER BY dossier_code LIMIT 10").fetchall()]
        con.execute("UPDATE core.dossiers SET merged_load_id = 'a-new-load' WHERE list_contains(?, dossier_code)",
                    [codes])
        con.execute("UPDATE core.dossiers SET status = 10 WHERE dossier_code = ?", [codes[0]])
        total = con.execute("SELECT count(*) FROM core.dossiers").fetchone()[0]
    assert all_passed(build_marts(db))
    kept, rebuilt = kept_and_rebuilt(db)
    assert rebuilt == set(codes) and len(kept) == total - 10
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        assert con.execute("SELECT status, is_returned, merged_load_id FROM marts.fct_case_files "
                           "WHERE dossier_code = ?", [codes[0]]).fetchone() == (10, True, "a-new-load")

    # Nothing new: nothing rewritten.
    mark_every_row(db)
    assert all_passed(build_marts(db))
    assert kept_and_rebuilt(db) == (kept | rebuilt, set())


@pytest.mark.slow
def test_another_window_or_new_reference_tables_rebuild_every_dossier(day_by_day, tmp_path):
    db = tmp_path / day_by_day.name
    shutil.copyfile(day_by_day, db)

    # The window ends a week earlier: every dossier built again, in_window as a full build says.
    mark_every_row(db)
    earlier = MartParams(window_end=datetime(2025, 7, 30, 16, 0, tzinfo=VN))
    assert all_passed(build_marts(db, earlier))
    assert kept_and_rebuilt(db)[0] == set()
    full = full_build_of_a_copy(db, tmp_path / "full", earlier)
    assert marts_fingerprints(db) == marts_fingerprints(full)
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_case_files WHERE NOT in_window AND received_at "
                           "BETWEEN '2025-07-30 16:00' AND '2025-08-06 15:59'").fetchone()[0] > 0

    # A unit renamed in the reference tables: every dossier built again, the new name on its dossiers.
    mark_every_row(db)
    with contextlib.closing(duckdb.connect(str(db))) as con:
        unit = con.execute("SELECT unit_code FROM core.dossiers ORDER BY unit_code LIMIT 1").fetchone()[0]
        con.execute("UPDATE ref.units SET unit_name = 'Đơn vị đổi tên' WHERE unit_code = ?", [unit])
    assert all_passed(build_marts(db, earlier))
    assert kept_and_rebuilt(db)[0] == set()
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        assert con.execute("SELECT DISTINCT unit_name FROM marts.fct_case_files WHERE unit_code = ?",
                           [unit]).fetchall() == [("Đơn vị đổi tên",)]


@pytest.mark.slow
def test_a_warehouse_built_before_the_incremental_model_is_rebuilt_once(day_by_day, tmp_path):
    """A warehouse whose fct_case_files was a table without build_key and whose dossiers have no merged_load_id
    (merged before it existed): the first build writes every dossier, the next ones only what is new."""
    db = tmp_path / day_by_day.name
    shutil.copyfile(day_by_day, db)
    with contextlib.closing(duckdb.connect(str(db))) as con:
        con.execute("ALTER TABLE marts.fct_case_files DROP COLUMN build_key")
        con.execute("ALTER TABLE marts.fct_case_files DROP COLUMN merged_load_id")
        con.execute("UPDATE core.dossiers SET merged_load_id = NULL")
        con.execute("UPDATE marts.fct_case_files SET unit_name = ?", [KEPT])
    assert all_passed(build_marts(db))
    assert kept_and_rebuilt(db)[0] == set()
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        assert con.execute("SELECT DISTINCT merged_load_id FROM marts.fct_case_files").fetchall() == [("",)]
    mark_every_row(db)
    assert all_passed(build_marts(db))
    assert kept_and_rebuilt(db)[1] == set()


def publish_to(warehouse: Path, analytics: Path, key: str = "incremental-test-key-0123456789") -> int:
    """Publish the warehouse's marts to `analytics`; the fct_case_files rows written there."""
    with contextlib.closing(connect(warehouse)) as con:
        return publish(con, analytics, key)["dossier_rows_written"]


def snapshot_contents(analytics: Path) -> tuple[dict, list]:
    with contextlib.closing(duckdb.connect(str(analytics), read_only=True)) as con:
        views = con.execute("SELECT schema_name, view_name, sql, comment FROM duckdb_views() WHERE NOT internal "
                            "ORDER BY ALL").fetchall()
    return table_fingerprints(analytics), views


@pytest.mark.slow
def test_the_snapshot_rewrites_only_the_dossiers_of_new_loads(day_by_day, tmp_path):
    """Each snapshot equals one published from nothing (tables, comments, views); it carries fct_case_files over
    and writes only the new loads' dossiers, unless the key, the build key, the dossiers deleted or a damaged previous
    snapshot say otherwise."""
    db, analytics = tmp_path / day_by_day.name, tmp_path / "analytics.duckdb"
    shutil.copyfile(day_by_day, db)
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        total = con.execute("SELECT count(*) FROM core.dossiers").fetchone()[0]

    def published_from_nothing(key: str = "incremental-test-key-0123456789") -> tuple[dict, list]:
        fresh = tmp_path / "fresh" / "analytics.duckdb"
        shutil.rmtree(fresh.parent, ignore_errors=True)
        assert publish_to(db, fresh, key) == total
        return snapshot_contents(fresh)

    assert publish_to(db, analytics) == total
    assert publish_to(db, analytics) == 0  # nothing new
    assert snapshot_contents(analytics) == published_from_nothing()

    # A load's merge by hand: its ten dossiers, one of them now returned, are the rows written.
    with contextlib.closing(duckdb.connect(str(db))) as con:
        con.execute("UPDATE core.dossiers SET merged_load_id = 'a-new-load', status = 10 WHERE dossier_code IN "
                    "(SELECT dossier_code FROM core.dossiers WHERE status <> 10 ORDER BY dossier_code LIMIT 10)")
    assert all_passed(build_marts(db))
    assert publish_to(db, analytics) == 10
    assert snapshot_contents(analytics) == published_from_nothing()

    # Another PII key: every reference differs, so the table is written whole.
    assert publish_to(db, analytics, "another-key-of-at-least-16") == total
    assert snapshot_contents(analytics) == published_from_nothing("another-key-of-at-least-16")

    # Another window (a new build key on every row), then a dossier deleted by hand: written whole each time.
    earlier = MartParams(window_end=datetime(2025, 7, 30, 16, 0, tzinfo=VN))
    assert all_passed(build_marts(db, earlier))
    assert publish_to(db, analytics) == total
    with contextlib.closing(duckdb.connect(str(db))) as con:
        con.execute("DELETE FROM core.dossiers WHERE dossier_code = (SELECT min(dossier_code) FROM core.dossiers)")
    assert all_passed(build_marts(db, earlier))
    total -= 1
    assert publish_to(db, analytics) == total
    assert snapshot_contents(analytics) == published_from_nothing()

    # A previous snapshot that cannot be opened (a damaged file) is not carried over: written whole, no error.
    analytics.write_bytes(b"not a DuckDB file")
    assert publish_to(db, analytics) == total
    assert snapshot_contents(analytics) == published_from_nothing()
