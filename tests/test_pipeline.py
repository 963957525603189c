"""The whole pipeline (Dagster assets: reference, extract, validate, load, marts, publish) on the sample world:
the published figures from records, the defect outcomes of the ground-truth manifest, idempotence, lineage and
the absence of personal data in the analysts' snapshot."""

import json
import logging
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from assets.marts import MARTS_KEYS
from cli.run import run_pipeline
from pipelines.definitions import build_definitions
from assets.settings import Settings


def make_settings(tmp: Path, landing: Path) -> Settings:
    return Settings(
        landing_dir=landing,
        warehouse_db=tmp / "warehouse.duckdb",
        analytics_db=tmp / "analytics.duckdb",
        dagster_home=tmp / "dagster_home",
        docs_dir=tmp / "docs",
    )


def run(settings: Settings, **kw) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance, **kw)


def table_fingerprints(db: Path) -> dict[str, tuple[int, str]]:
    """(row count, order-independent checksum of the content) of every table of a DuckDB file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY ALL").fetchall()
        out = {}
        for schema, table in tables:
            # the build time of the marts aside: a forced run on the same files is a new build
            row = ("hash(*COLUMNS(lambda c: c <> 'built_at'))" if (schema, table) == ("data_quality", "snapshot_info")
                   else "hash(t::VARCHAR)")
            n, h = con.execute(
                f"SELECT count(*), coalesce(sum({row}), 0)::VARCHAR FROM {schema}.{table} t").fetchone()
            out[f"{schema}.{table}"] = (n, h)
        return out
    finally:
        con.close()


OPEN: list[duckdb.DuckDBPyConnection] = []


@pytest.fixture(autouse=True)
def close_connections():
    """A read-only connection left open would stop the next run's writer in this process."""
    yield
    while OPEN:
        OPEN.pop().close()


def analytics(settings: Settings) -> duckdb.DuckDBPyConnection:
    OPEN.append(duckdb.connect(str(settings.analytics_db), read_only=True))
    return OPEN[-1]


def warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    OPEN.append(duckdb.connect(str(settings.warehouse_db), read_only=True))
    return OPEN[-1]


@pytest.fixture(scope="session")
def world_run(world_dir, tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("run1"), world_dir)
    run(settings)
    return settings


@pytest.fixture(scope="session")
def manifest(world_dir):
    return json.loads((world_dir / "manifest.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the figures of the report, from records


@pytest.mark.slow
def test_headline_figures_by_level(world_run, manifest):
    con = analytics(world_run)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT level_key, received, online, online_ratio_pct::VARCHAR, returned, ratio_definition "
        "FROM marts.online_ratio_by_level").fetchall()}
    assert rows["province_wide"][:3] == (310903, 224930, "72.35")
    assert rows["province_agencies"][:3] == (171300, 124952, "72.94")
    assert rows["commune"][:3] == (139603, 99978, "71.62")
    assert rows["province_wide"][3] == 252648
    assert {r[4] for r in rows.values()} == {"A"}
    cu = manifest["clean_universe"]["40"]
    assert rows["province_wide"][:2] == (cu["all"]["received"], cu["all"]["online"])


@pytest.mark.slow
def test_every_indicator_is_the_manifests(world_run, manifest):
    """marts.indicators equals the generator's ground truth (samples/indicators.py) on the full world: every
    indicator, grain and period of the manifest, exactly (the three-province world: test_indicator_marts.py)."""
    from test_indicator_marts import manifest_rows, mart_rows

    expected = manifest_rows(manifest)
    got = mart_rows(world_run.analytics_db, ("province", "province_agencies", "communes", "unit"), "40")
    assert set(got) == set(expected)
    assert {k: got[k] for k in expected if got[k] != expected[k]} == {}
    window = {k[5] + " " + k[6]: v[:2] for k, v in got.items() if k[:5] == ("40", "province", "40", "window", "window")}
    assert window["3.3 A"] == (224930, 310903)


@pytest.mark.slow
def test_reconciliation_names_the_80_01_percent(world_run):
    con = analytics(world_run)
    rec = {r[0]: r[1:] for r in con.execute(
        "SELECT figure_id, published_value, recomputed_value, matches, reproduced_by, reproducing_formula, finding "
        "FROM marts.published_reconciliation").fetchall()}
    p4 = rec["P4_ratio"]
    assert p4[0] == pytest.approx(80.01)
    assert float(p4[1]) == 71.62
    assert p4[2] is False
    assert p4[3] == "ratio.commune_online_over_agency_online"
    assert "trực tuyến cấp xã / trực tuyến cấp tỉnh (sở, ngành) = 99.978 / 124.952" in p4[4]
    assert "số công bố 80,01% là trực tuyến cấp xã / trực tuyến cấp tỉnh (sở, ngành) = 99.978 / 124.952" in p4[5]
    assert rec["P1_ratio"][2] is True and float(rec["P1_ratio"][1]) == 72.35
    # "Toàn tỉnh" of P3 is the province-level agencies: right numbers, wrong label.
    assert rec["P3_ratio"][2] is False and rec["P3_ratio"][3] == "ratio.province_agencies"
    assert rec["P3_received"][3] == "received.province_agencies"
    for fid in ("P1_received", "P1_online", "P1_returned", "P2_rank", "P2_rank_change", "P4_received",
                "P4_online", "P5_done_16", "P5_done_15", "P5_done_14", "P5_done_13", "P5_done_12",
                "P5_below_70pct", "P6_rank", "P6_rank_change", "P7_total", "P7_done", "P7_in_progress",
                "P8_procedures", "P8_pending"):
        assert rec[fid][2] is True, (fid, rec[fid])
    assert rec["P9_lookups"][2] is None and rec["P9_lookups"][5].startswith("không tính lại được")


@pytest.mark.slow
def test_ranks_tasks_and_communes(world_run):
    con = analytics(world_run)
    home = con.execute(
        "SELECT snapshot_date::VARCHAR, online_rank, online_rank_change, task_rank, task_rank_change, provinces "
        "FROM marts.province_ranking WHERE is_home ORDER BY snapshot_date").fetchall()
    assert home == [("2025-07-22", 25, None, 22, None, 34), ("2025-08-06", 20, 5, 20, 2, 34)]
    dist = con.execute(
        "SELECT tasks_done, communes, share_pct FROM marts.commune_task_progress "
        "WHERE snapshot_date = DATE '2025-08-06' ORDER BY tasks_done DESC").fetchall()
    assert [(d, c) for d, c, _ in dist] == [(16, 69), (15, 10), (14, 25), (13, 21), (12, 5)]
    assert [float(s) for *_, s in dist] == [53.08, 7.69, 19.23, 16.15, 3.85]
    communes = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE received > 0), sum(received), sum(online), "
        "count(DISTINCT rank) > 1, count(*) FILTER (WHERE NOT meets_target) > 0 "
        "FROM marts.online_ratio_by_commune").fetchone()
    assert communes == (130, 130, 139603, 99978, True, True)
    status = con.execute("SELECT tasks_total, tasks_done, in_progress_within_deadline, all_on_schedule "
                         "FROM marts.province_task_status").fetchall()
    assert status == [(23, 14, 9, True)]


@pytest.mark.slow
def test_every_mart_table_and_column_is_commented(world_run):
    con = analytics(world_run)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()}
    assert {"fct_case_files", "online_ratio_by_level", "online_ratio_by_commune", "published_reconciliation",
            "commune_task_progress", "province_ranking", "daily_trend", "ratio_by_procedure",
            "ratio_by_agency"} <= tables
    uncommented = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' AND (comment IS NULL OR comment = '') "
        "UNION ALL SELECT table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE schema_name = 'marts' AND (comment IS NULL OR comment = '')").fetchall()
    assert uncommented == []


@pytest.mark.slow
def test_a_plain_time_filter_gives_the_window_in_a_utc_session(world_run):
    """The README's filter, in a fresh (UTC) DuckDB connection: exactly the window's 310,903 dossiers; no column of
    the snapshot is TIMESTAMP WITH TIME ZONE or HUGEINT."""
    assert plain_window_count(world_run.analytics_db) == 310903
    assert zone_typed_or_hugeint_columns(world_run.analytics_db) == []


# ---------------------------------------------------------------- defects of the ground-truth manifest


@pytest.mark.slow
def test_each_defect_reaches_its_outcome(world_run, manifest):
    wh = warehouse(world_run)
    assert manifest["defects"], "the sample world injects defects"
    for d in manifest["defects"]:
        outcome, code = d["outcome"], d.get("dossier_code")
        if outcome == "file_skipped_duplicate":
            got = wh.execute("SELECT outcome FROM meta.files WHERE relpath = ?", [d["file"]]).fetchall()
            assert got == [("duplicate_file",)], d
        elif outcome == "quarantined":
            got = wh.execute(
                "SELECT reasons FROM core.quarantine WHERE source_file = ? AND source_row = ?",
                [d["file"], d["record"]]).fetchall()
            assert len(got) == 1 and d["reason"] in got[0][0].split("; "), (d, got)
            if code:
                assert wh.execute("SELECT count(*) FROM core.dossiers WHERE dossier_code = ?", [code]).fetchone()[0] == 0, d
        elif outcome == "loaded_outside_window":
            assert wh.execute("SELECT in_window, counted FROM marts.fct_case_files WHERE dossier_code = ?",
                              [code]).fetchall() == [(False, False)], d
        elif outcome == "loaded_test_excluded":
            assert wh.execute("SELECT is_test, counted FROM marts.fct_case_files WHERE dossier_code = ?",
                              [code]).fetchall() == [(True, False)], d
        elif outcome == "loaded_with_warning":
            got = wh.execute("SELECT warnings, counted FROM marts.fct_case_files WHERE dossier_code = ?",
                             [code]).fetchall()
            assert len(got) == 1 and d["reason"] in (got[0][0] or ""), (d, got)
        elif outcome == "merged_latest_wins":
            got = wh.execute("SELECT status, observations FROM core.dossiers WHERE dossier_code = ?", [code]).fetchall()
            assert got and got[0][0] == d["expected_status"] and got[0][1] >= 2, (d, got)
        elif outcome == "loaded_after_correction":
            assert wh.execute("SELECT count(*) FROM core.dossiers WHERE dossier_code = ?", [code]).fetchone()[0] == 1, d
            got = wh.execute("SELECT resolved_by_load_id IS NOT NULL FROM core.quarantine WHERE dossier_code = ?",
                             [code]).fetchall()
            assert got and all(r[0] for r in got), (d, got)
        else:
            pytest.fail(f"unknown outcome {outcome}")


@pytest.mark.slow
def test_every_record_is_accounted_for(world_run, manifest):
    wh = warehouse(world_run)
    per_file = {r[0]: r[1:] for r in wh.execute(
        "SELECT relpath, outcome, records_read, records_loaded, records_quarantined FROM meta.files").fetchall()}
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(per_file) == set(listed) - {"manifest.json"}
    for path, (outcome, read, loaded, quarantined) in per_file.items():
        if outcome == "loaded":
            assert read == loaded + quarantined, path
            assert read == listed[path]["records"], path
    n_obs = wh.execute("SELECT count(*) FROM core.dossier_observations").fetchone()[0]
    n_q = wh.execute("SELECT count(*) FROM core.quarantine WHERE entity = 'dossiers'").fetchone()[0]
    dossier_files = wh.execute(
        "SELECT sum(records_read) FROM meta.files WHERE outcome = 'loaded' "
        "AND kind IN ('portal_dossiers', 'provincial_csv', 'provincial_xlsx')").fetchone()[0]
    assert n_obs + n_q == dossier_files
    loads = wh.execute("SELECT status, count(*) FROM meta.loads GROUP BY ALL").fetchall()
    assert loads and all(s == "succeeded" for s, _ in loads)


@pytest.mark.slow
def test_sample_world_data_quality_equals_the_records_and_the_manifest(world_run, world_dir):
    """tests/test_data_quality.py's check (the snapshot's data_quality tables against the records and the
    manifest) on the sample world's run."""
    from test_data_quality import check_world, rows

    settings = world_run
    by_reason = check_world(settings, world_dir)
    assert by_reason == {"missing_dossier_code": 3, "received_at_invalid": 7, "returned_before_received": 3,
                         "unknown_channel": 4, "unknown_unit": 4}
    # the figures are unchanged
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        assert dict(rows(con, "SELECT level_key, online_ratio_pct::VARCHAR FROM marts.online_ratio_by_level")) == {
            "province_wide": "72.35", "province_agencies": "72.94", "commune": "71.62"}
        assert rows(con, "SELECT count(*) FILTER (WHERE matches), count(*) FROM marts.published_reconciliation") \
            == [(21, 26)]
    finally:
        con.close()


@pytest.mark.slow
def test_lineage_on_every_observation(world_run):
    wh = warehouse(world_run)
    missing = wh.execute(
        "SELECT count(*) FROM core.dossier_observations o LEFT JOIN meta.files f "
        "ON f.sha256 = o.source_sha256 AND f.relpath = o.source_file "
        "WHERE f.sha256 IS NULL OR o.load_id IS NULL OR o.source_row IS NULL").fetchone()[0]
    assert missing == 0


# ---------------------------------------------------------------- idempotence and personal data


@pytest.mark.slow
def test_second_run_on_the_same_files_changes_nothing(world_run):
    before_wh = table_fingerprints(world_run.warehouse_db)
    before_an = table_fingerprints(world_run.analytics_db)
    run(world_run)
    assert table_fingerprints(world_run.warehouse_db) == before_wh
    assert table_fingerprints(world_run.analytics_db) == before_an


def personal_values(landing: Path, limit: int = 300) -> set[str]:
    """Personal values of the sample world, read from its portal and provincial files."""
    values: set[str] = set()
    for path in sorted((landing / "portal").glob("hoso-*.json"))[:3]:
        for rec in json.loads(path.read_text(encoding="utf-8"))[:limit]:
            for key in ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email"):
                if rec.get(key):
                    values.add(rec[key])
            for ident in rec.get("DinhDanhCHS") or []:
                if ident.get("SoDinhDanh"):
                    values.add(ident["SoDinhDanh"])
    for path in sorted((landing / "portal").glob("xuly-*.json"))[:1]:
        for rec in json.loads(path.read_text(encoding="utf-8"))[:limit]:
            if rec.get("NguoiXuLy"):
                values.add(rec["NguoiXuLy"])
    return values


def find_values(db: Path, values: set[str]) -> list[tuple[str, str, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("CREATE TEMP TABLE needles AS SELECT unnest(?) AS v", [sorted(values)])
        hits = []
        for schema, table, column in con.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                "WHERE NOT internal AND database_name = current_database() "
                "AND data_type IN ('VARCHAR', 'JSON')").fetchall():
            # Whole-value matches (a hash semi-join: fast on the scale-1 world); substrings in free text and logs are
            # searched on the small world by tests/test_personal_data.py.
            n = con.execute(
                f'SELECT count(*) FROM {schema}.{table} t WHERE t."{column}"::VARCHAR IN (SELECT v FROM needles)'
            ).fetchone()[0]
            if n:
                hits.append((f"{schema}.{table}", column, n))
        return hits
    finally:
        con.close()


@pytest.mark.slow
def test_no_personal_value_reaches_the_warehouse_or_the_snapshot(world_run, world_dir):
    values = personal_values(world_dir)
    assert len(values) > 500
    assert find_values(world_run.analytics_db, values) == []
    assert find_values(world_run.warehouse_db, values) == []


# ---------------------------------------------------------------- small world: partitions, backfill order


def test_small_world_figures_match_its_manifest(small_world_dir, tmp_path):
    """Loaded as it arrives, the world without its last day first and that day the next: the second run covers that
    day's partition alone (the other days have nothing new) and the figures are the manifest's."""
    from cli.run import RANGE_END_TAG, RANGE_START_TAG, landing_days

    days = landing_days(small_world_dir)
    last = max(days)
    landing = tmp_path / "landing"
    held_back = {small_world_dir / rel for rel in days[last]}
    shutil.copytree(small_world_dir, landing, ignore=lambda d, names: [n for n in names if Path(d, n) in held_back])
    settings = make_settings(tmp_path, landing)
    run(settings)
    for rel in days[last]:
        shutil.copy2(small_world_dir / rel, landing / rel)
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)
        # two runs: the day's daily assets over the range, then the warehouse downstream (without the range)
        days_run, warehouse_run = sorted(instance.get_runs(), key=lambda r: r.tags["hoso/part"])
        tags = days_run.tags
        assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG], tags["hoso/days"]) == (last, last, last)
        assert tags["hoso/files"].startswith(f"{len(days[last])}: ")
        assert RANGE_START_TAG not in warehouse_run.tags
        assert warehouse_run.tags["hoso/invocation"] == tags["hoso/invocation"]
        assert warehouse_run.tags["hoso/files"] == tags["hoso/files"]
    cu = json.loads((small_world_dir / "manifest.json").read_text(encoding="utf-8"))["clean_universe"]["40"]
    con = analytics(settings)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT level_key, received, online, returned FROM marts.online_ratio_by_level").fetchall()}
    assert rows["province_wide"] == (cu["all"]["received"], cu["all"]["online"], cu["all"]["returned"])
    assert rows["province_agencies"][:2] == (cu["province_level"]["received"], cu["province_level"]["online"])
    assert rows["commune"][:2] == (cu["commune_level"]["received"], cu["commune_level"]["online"])
    assert plain_window_count(settings.analytics_db) == cu["all"]["received"]  # test dossiers left out
    assert zone_typed_or_hugeint_columns(settings.analytics_db) == []


WINDOW_FILTER = "received_at >= '2025-07-01' AND received_at < '2025-08-06 16:00'"


def plain_window_count(analytics_db: Path) -> int:
    """What an analyst gets from the README's plain time filter (test dossiers left out) in a session whose time
    zone is UTC: the marts' times are Vietnam wall-clock time, so the filter means the window whatever the session's
    zone; without `NOT is_test` it selects exactly the rows flagged in_window."""
    con = duckdb.connect(str(analytics_db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")  # as an analyst's fresh session on a UTC machine
        plain, in_window = con.execute(
            f"SELECT count(*) FILTER (WHERE {WINDOW_FILTER}), count(*) FILTER (WHERE in_window) "
            "FROM marts.fct_case_files").fetchone()
        assert plain == in_window
        return con.execute(f"SELECT count(*) FROM marts.fct_case_files WHERE {WINDOW_FILTER} AND NOT is_test"
                           ).fetchone()[0]
    finally:
        con.close()


def zone_typed_or_hugeint_columns(analytics_db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(analytics_db), read_only=True)
    try:
        return con.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name <> 'main' "
            "AND data_type IN ('TIMESTAMP WITH TIME ZONE', 'HUGEINT')").fetchall()
    finally:
        con.close()


def assert_progress_batched(instance: DagsterInstance, run_id: str, files: list[str]) -> None:
    """The extract and validate steps' per-file lines (debug level) name each file of the run once, in fewer log
    events than files: each event is a row written to the run's storage."""
    logs = instance.all_logs(run_id)
    for step, verb in (("staging__extracted_exports", "extract"), ("staging__validated_exports", "validate")):
        messages = [e.user_message for e in logs if e.step_key == step and not e.is_dagster_event
                    and e.level == logging.DEBUG]
        lines = [line for m in messages for line in m.splitlines()]
        named = [line.split(": ")[0].removeprefix(f"{verb} ") for line in lines]
        # every file is extracted; only those extracted (not a duplicate, not rejected) are validated
        assert (sorted(named) == sorted(files)) if verb == "extract" else \
            (len(set(named)) == len(named) > 0 and set(named) <= set(files)), (step, named)
        assert len(messages) < len(lines), (step, len(messages), len(lines))


def test_progress_lines_are_logged_together_at_most_every_few_seconds():
    from assets.progress import BatchedLog

    now = [0.0]
    logged: list[str] = []
    with BatchedLog(logged.append, every=5.0, clock=lambda: now[0]) as progress:
        for i in range(12):  # one file a second
            progress(f"file {i}")
            now[0] += 1.0
    assert logged == ["\n".join(f"file {i}" for i in range(6)), "\n".join(f"file {i}" for i in range(6, 11)),
                      "file 11"]
    with BatchedLog(logged.append) as progress:
        pass
    assert len(logged) == 3  # nothing to say, nothing logged


def test_backfill_in_pieces_equals_one_range(small_world_dir, tmp_path):
    """Loading the days as three backfill ranges, newest first, then re-running one day, gives the same marts as
    one run over the whole range; the asset checks report on every run."""
    from dagster import PartitionKeyRange

    from assets.partitions import DAILY
    from cli.run import RANGE_END_TAG, RANGE_START_TAG, landing_days, partition_range
    from pipelines.definitions import build_definitions

    whole = make_settings(tmp_path / "whole", small_world_dir)
    run(whole)
    pieces = make_settings(tmp_path / "pieces", small_world_dir)
    keys = DAILY.get_partition_keys_in_range(PartitionKeyRange(*partition_range(small_world_dir)))
    days = landing_days(small_world_dir)
    thirds = [keys[i * len(keys) // 3:(i + 1) * len(keys) // 3] for i in range(3)]
    job = build_definitions(pieces, allow_demo_key=True).resolve_job_def("daily_sync")
    with DagsterInstance.ephemeral() as instance:
        for part in reversed(thirds):
            res = job.execute_in_process(instance=instance, tags={RANGE_START_TAG: part[0], RANGE_END_TAG: part[-1]})
            assert res.success
            checks = {e.check_name: e.passed for e in res.get_asset_check_evaluations()}
            assert checks["quarantined_share"] is True and "suite_dossiers" in checks
            assert_progress_batched(instance, res.run_id, [f for d in part for f in days.get(d, [])])
        # re-running a partition is idempotent
        before = table_fingerprints(pieces.warehouse_db)
        assert job.execute_in_process(instance=instance, partition_key=keys[3]).success
        assert table_fingerprints(pieces.warehouse_db) == before
    # Load ids differ between the two warehouses, so fct_case_files is compared without them; the rest is equal.
    q = ("SELECT count(*), sum(hash(dossier_ref, status, channel, unit_code, received_at, counted, observations)) "
         "FROM marts.fct_case_files")
    assert analytics(whole).execute(q).fetchone() == analytics(pieces).execute(q).fetchone()
    # data_quality describes the loads themselves (three ranges and a re-run against one run): not compared.
    a, b = ({k: v for k, v in table_fingerprints(s.analytics_db).items()
             if k != "marts.fct_case_files" and not k.startswith("data_quality.")} for s in (whole, pieces))
    assert a == b


CORE_META = ["core/dossier_observations", "core/dossiers", "core/dossier_documents", "core/dossier_fees",
             "core/dossier_results", "core/dossier_identities", "core/dossier_supplements",
             "core/dossier_databases", "core/processing_steps", "core/commune_tasks",
             "core/province_tasks", "core/province_snapshot", "core/quarantine", "meta/loads", "meta/files",
             "meta/validations"]
REF = ["ref/units", "ref/procedures", "ref/published_figures"]


def test_launched_runs_fork_their_steps_from_a_server_that_imported_the_definitions():
    """Every job's executor forks its step processes from a server that preloads the module workspace.yaml loads
    (multiprocessing ignores a preload module it cannot import: a renamed module would quietly lose the gain)."""
    import importlib.util

    import yaml

    from pipelines.definitions import PRELOADED, STEP_PROCESSES, defs

    workspace = yaml.safe_load((Path(__file__).parents[1] / "workspace.yaml").read_text(encoding="utf-8"))
    assert PRELOADED == [workspace["load_from"][0]["python_module"]["module_name"]]
    assert all(importlib.util.find_spec(m) for m in PRELOADED)
    for name in ("daily_sync", "full_rebuild", "marts_only"):
        assert defs.resolve_job_def(name).executor_def is STEP_PROCESSES, name


def test_definitions_are_the_warehouse_tables():
    """One asset per table (staging, ref, core, meta, analytics) with the lineage the data has."""
    from pipelines.definitions import defs

    from warehouse.dbt_runner import PROJECT_DIR

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    # one asset per dbt model, read from the project's files
    models = {f"{p.parent.name}/{p.stem}" for p in (PROJECT_DIR / "models").glob("*/*.sql")}
    assert len(models) == 42 and {"marts/online_ratio_by_level", "bao_cao/ty_le_theo_cap", "marts/on_time_by_level",
                                  "marts/commune_task_status", "bao_cao/dung_han_theo_cap", "data_quality/snapshot_info",
                                  "bao_cao/thong_tin_so_lieu"} <= models
    # ref/code_labels: a dbt source written by the schema step (labels of sources/labels.py), no asset of ours
    assert keys == {"staging/extracted_exports", "staging/validated_exports", *REF, *CORE_META, *models,
                    "ref/code_labels", "analytics/snapshot", "analytics/report"}

    def parents(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(AssetKey.from_user_string(key)).parent_keys}

    assert parents("staging/validated_exports") == {"staging/extracted_exports", *REF}
    for table in CORE_META:
        assert parents(table) == {"staging/validated_exports"}, table
    assert parents("marts/fct_case_files") == {"core/dossiers", "ref/units", "ref/procedures", "ref/code_labels",
                                               "core/dossier_documents", "core/dossier_fees", "core/dossier_results",
                                               "core/dossier_supplements", "core/dossier_databases"}
    assert "marts/fct_case_files" in parents("marts/online_ratio_by_level")
    assert parents("bao_cao/ty_le_theo_cap") == {"marts/online_ratio_by_level"}
    assert parents("marts/indicators") == {"marts/fct_case_files", "marts/indicator_definitions", "ref/units",
                                           "ref/procedures"}
    assert parents("marts/indicator_ranking") == {"marts/indicators", "core/province_snapshot", "ref/units"}
    assert parents("analytics/snapshot") == models and parents("analytics/report") == {"analytics/snapshot"}
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == AssetKey(["staging", "validated_exports"])}
    assert {"quarantined_share", "suite_dossiers"} <= checks
    assert defs.resolve_job_def("daily_sync") and defs.resolve_job_def("full_rebuild")
    assert {k.to_user_string() for k in defs.resolve_job_def("marts_only").asset_layer.executable_asset_keys} == {
        *models, "analytics/snapshot", "analytics/report"}
    assert defs.resolve_sensor_def("landing_sensor") and defs.resolve_schedule_def("daily_after_cutoff")


def test_the_runs_of_a_warehouse_file_carry_its_writer_tag(tmp_path):
    """Every job tags its runs with the warehouse file they write (`hoso/writer`, which the run queue of
    deploy/dagster.yaml lets one run per value at a time): two code locations with their own files (lake workers with
    their own feeds) get two values, so their runs may go at once; the same file, one value."""
    first, second = (build_definitions(make_settings(tmp_path / name, tmp_path / "landing")) for name in "ab")
    again = build_definitions(make_settings(tmp_path / "a", tmp_path / "landing"))
    for job in ("daily_sync", "full_rebuild", "marts_only"):
        a, b, a2 = (d.resolve_job_def(job).tags["hoso/writer"] for d in (first, second, again))
        assert a == str((tmp_path / "a" / "warehouse.duckdb").resolve()) and b != a and a2 == a


def test_each_table_carries_its_own_metadata(small_world_dir, tmp_path):
    """The load multi_asset materializes every core/meta table with its row count (= SELECT count(*)), the rows
    this load added and its column schema from DuckDB's catalog; the load's figures sit on meta/loads."""
    settings = make_settings(tmp_path, small_world_dir)
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)
        meta = {key: instance.get_latest_materialization_event(AssetKey.from_user_string(key))
                .asset_materialization.metadata for key in [*CORE_META, *REF]}
        marts = {key.to_user_string(): instance.get_latest_materialization_event(key).asset_materialization.metadata
                 for key in MARTS_KEYS}
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    OPEN.append(con)
    for key, md in meta.items():
        table = key.replace("/", ".")
        n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert md["dagster/row_count"].value == n, key
        # the reference load ran first: its history rows, and undated files (a ranking snapshot), were there before
        assert 0 <= md["rows_added"].value <= n, key
        columns = [c.name for c in md["dagster/column_schema"].value.columns]
        assert columns == [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "ORDER BY column_index", table.split(".")).fetchall()], key
    assert meta["core/dossiers"]["dagster/row_count"].value > 100
    for key in ("core/dossiers", "core/dossier_observations", "core/quarantine"):  # the first load added them all
        assert meta[key]["rows_added"].value == meta[key]["dagster/row_count"].value, key
    # Every dbt model carries its row count, and the headline model its figures.
    from warehouse.dbt_runner import PROJECT_DIR

    assert len(marts) == len(list((PROJECT_DIR / "models").glob("*/*.sql")))  # one asset per model file
    for key, md in marts.items():
        relation = ".".join(f'"{part}"' for part in key.split("/"))
        assert md["dagster/row_count"].value == con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0], key
    assert marts["marts/online_ratio_by_level"]["commune.online_ratio_pct"].value is not None
    loads = meta["meta/loads"]
    assert loads["rows_loaded"].value == meta["core/dossier_observations"]["rows_loaded"].value > 0
    assert loads["load_id"].value == con.execute(
        "SELECT load_id FROM meta.loads WHERE partition_range <> 'reference' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()[0]
    assert "portal/hoso-" in meta["meta/files"]["loaded_files"].value


def test_sensor_waits_for_files_to_settle():
    from pipelines.sensors import changed_partitions

    now = 10_000 * 10**9
    current = {"portal/hoso-20250701-01.json": [now - 60 * 10**9, 10],
               "portal/hoso-20250702-01.json": [now - 2 * 10**9, 10],  # still being written
               "reference/units.csv": [now - 60 * 10**9, 5]}
    keys, cursor = changed_partitions({}, current, now, "2026-11-26")
    assert keys == {"2025-07-01", "2026-11-26"}
    assert "portal/hoso-20250702-01.json" not in cursor
    keys2, cursor2 = changed_partitions(cursor, current, now + 20 * 10**9, "2026-11-26")
    assert keys2 == {"2025-07-02"}  # settled by now; the others are known
    assert changed_partitions(cursor2, current, now + 40 * 10**9, "2026-11-26")[0] == set()


def test_a_run_with_reference_files_only(small_world_dir, tmp_path):
    """No dated file: the run selects the assets without partitions (reference tables, the load's tables, which find
    nothing new, marts, snapshot, report)."""
    landing = tmp_path / "landing"
    shutil.copytree(small_world_dir / "reference", landing / "reference")
    settings = make_settings(tmp_path, landing)
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)
        done = {k.to_user_string() for k in instance.get_asset_keys()
                if instance.get_latest_materialization_event(k) is not None}
    assert done >= {*REF, *CORE_META, "marts/fct_case_files", "bao_cao/ty_le_theo_cap", "analytics/snapshot",
                    "analytics/report"}
    assert settings.analytics_db.is_file() and (settings.docs_dir / "report.html").is_file()


def test_sensor_reads_the_landing_folder_of_its_paths_resource(tmp_path):
    from dagster import build_sensor_context

    from assets.resources import PathsResource
    from pipelines.definitions import defs

    landing = tmp_path / "landing"
    (landing / "portal").mkdir(parents=True)
    (landing / "portal" / "hoso-20250701-01.json").write_text("[]")
    old = time.time() - 60
    os.utime(landing / "portal" / "hoso-20250701-01.json", (old, old))
    paths = PathsResource(landing_dir=str(landing), staging_dir=str(tmp_path / "staging"),
                          analytics_db=str(tmp_path / "a.duckdb"), docs_dir=str(tmp_path / "docs"))
    sensor = defs.resolve_sensor_def("landing_sensor")
    with build_sensor_context(resources={"paths": paths}) as context:
        requests = list(sensor(context))
    assert [r.partition_key for r in requests] == ["2025-07-01"]
    assert requests[0].tags["hoso/files"] == "1: portal/hoso-20250701-01.json"
