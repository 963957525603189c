"""The marts' dbt project (warehouse/dbt_project.yml) on its own and through Dagster (assets/marts.py): its tests
pass on a good warehouse and fail on a broken one, one mart can be materialized alone with its metadata and checks,
the comments of schema.yml reach the snapshot, the dbt child dies with its parent, and the manifest is produced when
it is missing or stale."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import duckdb
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, materialize

import snapshot_world as w
from warehouse.publish import PSEUDONYMS
from warehouse.dbt_runner import MANIFEST, PROJECT_DIR, MartParams, copy_docs, ensure_manifest, generate_docs, \
    new_target_path, parse_state_path, project_mtime, run_dbt


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The test world's warehouse after `dbt build`, and its published snapshot."""
    return w.build_snapshot(tmp_path_factory.mktemp("dbt"))


def test_results(database, args: list[str]) -> dict[str, str]:
    """{test name: status} of `dbt <args>` on a warehouse."""
    target = new_target_path("test")
    try:
        run_dbt(args, database, MartParams(), target_path=target, check=False)
        results = json.loads((target / "run_results.json").read_text())["results"]
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return {r["unique_id"].split(".")[2]: r["status"] for r in results}


test_results.__test__ = False  # a helper, not a test


def copy_warehouse(built, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes((built.parent / "warehouse.duckdb").read_bytes())
    return copy


def test_every_dbt_test_passes_on_the_test_world(built, tmp_path):
    db = copy_warehouse(built, tmp_path)
    results = test_results(db, ["test"])
    assert len(results) > 60 and set(results.values()) == {"pass"}, {k: v for k, v in results.items() if v != "pass"}
    # The grain of every model is tested.
    models = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    assert len(models) == 42
    grain = {name.removeprefix("grain_") for name in results if name.startswith("grain_")}
    for model in models:
        assert any(g.startswith(model) for g in grain), f"{model}: no test of its grain"


def test_a_broken_table_fails_its_tests(built, tmp_path):
    db = copy_warehouse(built, tmp_path)
    con = duckdb.connect(str(db))
    try:
        # A duplicate grain row (single and multi-column grain), a figure lost from the reconciliation, a
        # commune whose counts no longer add up to the commune level, and a null in a grain.
        con.execute("INSERT INTO marts.online_ratio_by_commune SELECT * FROM marts.online_ratio_by_commune LIMIT 1")
        con.execute("INSERT INTO marts.daily_trend SELECT * FROM marts.daily_trend LIMIT 1")
        con.execute("DELETE FROM marts.published_reconciliation WHERE figure_id = 'P1_ratio'")
        # A key column null (the grain test says so, not only a duplicate key).
        con.execute("UPDATE marts.ratio_by_procedure SET procedure_code = NULL "
                    "WHERE procedure_code = (SELECT min(procedure_code) FROM marts.ratio_by_procedure)")
    finally:
        con.close()
    results = test_results(db, ["test"])
    failed = {k for k, v in results.items() if v == "fail"}
    assert "grain_online_ratio_by_commune_unit_code" in failed
    assert any(k.startswith("grain_daily_trend") for k in failed)
    assert "grain_ratio_by_procedure_province_code__procedure_code" in failed
    assert {"published_figures_have_one_reconciliation_row", "commune_level_is_the_sum_over_communes"} <= failed
    assert not any("province_ranking" in k or "ratio_by_agency" in k for k in failed)


def test_a_code_off_its_list_or_a_null_fails_the_models_column_values(built, tmp_path):
    """One column_values test per model (tests/generic/column_values.sql) stands for a not_null and an accepted_values
    test on each column: it fails, naming each column and problem with its row count, and nothing else."""
    db = copy_warehouse(built, tmp_path)
    con = duckdb.connect(str(db))
    try:
        first, second = con.execute("SELECT dossier_code FROM marts.fct_case_files ORDER BY 1 LIMIT 2").fetchall()
        con.execute("UPDATE marts.fct_case_files SET channel = 9 WHERE dossier_code = ?", first)
        con.execute("UPDATE marts.fct_case_files SET status_label = NULL, level = 'xa' WHERE dossier_code = ?", second)
        nulls = con.execute("SELECT count(*) FROM marts.fct_case_files WHERE applicant_type IS NULL").fetchone()[0]
    finally:
        con.close()
    assert nulls > 0  # provincial exports carry no applicant type: a null is not a code off the list
    results = test_results(db, ["test", "--select", "test_name:column_values", "--store-failures"])
    assert {k for k, v in results.items() if v != "pass"} == {"column_values_fct_case_files"}
    assert len(results) == 19
    con = duckdb.connect(str(db), read_only=True)
    try:
        problems = con.execute("SELECT problem, n_rows FROM dbt_test__audit.column_values_fct_case_files "
                               "ORDER BY 1").fetchall()
    finally:
        con.close()
    assert problems == [("channel not in (1, 2, 3)", 1), ("level not in ('province', 'commune')", 1),
                        ("status_label is null", 1)]


def test_province_wide_must_be_the_sum_of_the_levels(built, tmp_path):
    db = copy_warehouse(built, tmp_path)
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE marts.online_ratio_by_level SET received = received + 1 WHERE level_key = 'commune'")
    finally:
        con.close()
    results = test_results(db, ["test", "--select", "online_ratio_by_level"])
    assert results["province_wide_is_agencies_plus_communes"] == "fail"
    assert results["commune_level_is_the_sum_over_communes"] == "fail"
    grain = [k for k in results if k.startswith("grain_online_ratio_by_level")]
    assert len(grain) == 1 and results[grain[0]] == "pass"


def test_a_level_without_dossiers_keeps_its_row(built, tmp_path):
    """A home province whose dossiers are all at commune level still has its province-agencies row (0 of 0, no
    ratio) under each definition, so the levels add up and the blocking test passes."""
    db = copy_warehouse(built, tmp_path)
    con = duckdb.connect(str(db))
    try:
        commune = con.execute("SELECT count(*), count(*) FILTER (WHERE is_online) FROM marts.fct_case_files "
                              "WHERE counted AND province_code = '40' AND level = 'commune'").fetchone()
        assert commune[0] > 0
        con.execute("DELETE FROM core.dossiers WHERE province_code = '40' AND level = 'province'")
    finally:
        con.close()
    results = test_results(db, ["build", "--select", "fct_case_files+"])
    ok = {"pass", "success"}
    assert set(results.values()) == ok, {k: v for k, v in results.items() if v not in ok}
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT level_key, received, online, online_ratio_pct FROM marts.online_ratio_by_level "
                           "WHERE is_home ORDER BY level_key").fetchall()
        definitions = con.execute("SELECT count(*), sum(denominator) FROM marts.online_ratio_definitions "
                                  "WHERE is_home AND level_key = 'province_agencies'").fetchone()
    finally:
        con.close()
    assert rows == [("commune", commune[0], commune[1], rows[0][3]), ("province_agencies", 0, 0, None),
                    ("province_wide", commune[0], commune[1], rows[0][3])]
    assert definitions == (4, 0)


def test_comments_of_schema_yml_reach_the_snapshot(built):
    """Every table of marts and data_quality, and every column, carries its schema.yml description in the snapshot;
    a pseudonymised column (dossier_code -> dossier_ref) carries the comment publish gives it."""
    con = duckdb.connect(str(built), read_only=True)
    try:
        for schema in ("marts", "data_quality"):
            docs = yaml.safe_load((PROJECT_DIR / "models" / schema / "schema.yml").read_text(encoding="utf-8"))
            docs = docs["models"]
            tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = ?",
                                      [schema]).fetchall())
            assert set(tables) == {m["name"] for m in docs}, schema
            for m in docs:
                assert tables[m["name"]] == m["description"] and "grain" in m["description"]
                cols = con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? "
                                   "AND table_name = ? ORDER BY column_index", [schema, m["name"]]).fetchall()
                expected = [PSEUDONYMS.get(c["name"], (c["name"], c["description"])) for c in m["columns"]]
                assert cols == expected, m["name"]
                assert all(" | " in c for _, c in cols)
    finally:
        con.close()


def test_labels_come_from_the_code_labels_table(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        rows = con.execute("SELECT DISTINCT channel, channel_label FROM marts.fct_case_files ORDER BY 1").fetchall()
        assert rows == [(1, "Trực tiếp"), (2, "Trực tuyến"), (3, "Bưu chính công ích")]
        assert con.execute("SELECT DISTINCT status_label FROM marts.fct_case_files WHERE status = 10").fetchall() \
            == [("Đã trả kết quả",)]
    finally:
        con.close()


def test_another_definition_and_target_through_the_vars(tmp_path):
    db = w.build_warehouse(tmp_path, MartParams(ratio_definition="C", commune_target_pct=75.0))
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT ratio_definition FROM marts.online_ratio_by_level").fetchall() == [("C",)]
        assert con.execute("SELECT DISTINCT target_pct FROM marts.online_ratio_by_commune").fetchall() \
            == [(Decimal("75.00"),)]
    finally:
        con.close()
    with pytest.raises(ValueError):
        MartParams(ratio_definition="E")


def test_one_mart_alone_through_dagster_with_its_metadata_and_checks(built, tmp_path):
    from assets.marts import marts
    from assets.resources import WarehouseResource, dbt_resource

    db = copy_warehouse(built, tmp_path)
    key = AssetKey(["marts", "online_ratio_by_level"])
    with DagsterInstance.ephemeral() as instance:
        res = materialize([marts], selection=[key], instance=instance,
                          resources={"dbt": dbt_resource(), "warehouse": WarehouseResource(database=str(db))})
        assert res.success
        mats = res.get_asset_materialization_events()
        assert [m.asset_key for m in mats] == [key]
        md = {k: v.value for k, v in mats[0].materialization.metadata.items()}
        assert (md["province_wide.received"], md["province_wide.online"], md["province_wide.online_ratio_pct"]) \
            == (77, 57, 74.03)
        assert (md["commune.received"], md["province_agencies.received"]) == (39, 38)
        # 3 levels for the home province and 3 for the province of the test world's one dossier from elsewhere
        assert md["dagster/row_count"] == 6 and md["ratio_definition"] == "A"
        checks = {e.check_name: e.passed for e in res.get_asset_check_evaluations()}
        assert "province_wide_is_agencies_plus_communes" in checks
        assert any(name.startswith("grain_online_ratio_by_level") for name in checks)
        assert all(checks.values()) and all(e.asset_key == key for e in res.get_asset_check_evaluations())


def test_a_failing_test_fails_the_step_and_its_check(built, tmp_path):
    """A dossier twice in core.dossiers (which has no key), as a merge gone wrong would leave it (both rows stamped
    with a load the marts have not seen): fct_case_files takes both, its grain test fails (a blocking check), dbt
    skips what depends on it, and the step fails."""
    from assets.marts import marts
    from assets.resources import WarehouseResource, dbt_resource

    db = copy_warehouse(built, tmp_path)
    con = duckdb.connect(str(db))
    try:
        con.execute("INSERT INTO core.dossiers SELECT * FROM core.dossiers LIMIT 1")
        con.execute("UPDATE core.dossiers SET merged_load_id = 'a-broken-load' WHERE dossier_code IN "
                    "(SELECT dossier_code FROM core.dossiers GROUP BY ALL HAVING count(*) > 1)")
    finally:
        con.close()
    with DagsterInstance.ephemeral() as instance:
        res = materialize([marts], instance=instance, raise_on_error=False,
                          resources={"dbt": dbt_resource(), "warehouse": WarehouseResource(database=str(db))})
    assert not res.success
    checks = {e.check_name: e for e in res.get_asset_check_evaluations()}
    assert checks["grain_fct_case_files_dossier_code"].passed is False
    assert checks["grain_fct_case_files_dossier_code"].blocking
    built = {m.asset_key.to_user_string() for m in res.get_asset_materialization_events()}
    assert "marts/fct_case_files" in built and "marts/province_task_status" in built  # not downstream of it
    assert not built & {"marts/online_ratio_by_level", "marts/published_reconciliation", "bao_cao/ty_le_theo_cap"}


def test_the_dbt_child_dies_with_its_parent(tmp_path):
    """hoso-dbt sets PR_SET_PDEATHSIG: when the process that started dbt is SIGKILLed, dbt is killed too."""
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", f"""
import subprocess, sys, os, signal, time
child = subprocess.Popen([sys.executable, "-c", "from warehouse.dbt_launcher import die_with_parent; "
                          "die_with_parent(); import time; time.sleep(120)"])
open({str(pid_file)!r}, "w").write(str(child.pid))
time.sleep(120)
"""])
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    child = int(pid_file.read_text())
    time.sleep(1.0)  # the child has set its death signal
    os.kill(child, 0)  # alive
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as fh:  # a zombie (reaped by init later) counts as dead
            if fh.read().split(") ")[1].startswith("Z"):
                break
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.1)


def test_the_launcher_answers_the_version_without_dbt():
    out = subprocess.run([str(w.Path(sys.executable).with_name("hoso-dbt")), "--version"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and "installed: 1.11." in out.stdout


@pytest.mark.slow
def test_the_manifest_is_produced_when_missing_or_stale(tmp_path):
    saved = tmp_path / "manifest.json"
    ensure_manifest()
    saved.write_bytes(MANIFEST.read_bytes())
    try:
        MANIFEST.unlink()
        t0 = time.perf_counter()
        assert ensure_manifest() == MANIFEST and MANIFEST.exists()
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        ensure_manifest()
        warm = time.perf_counter() - t0
        assert warm < 1.0 < cold
        # Older than a file of the project: parsed again.
        old = project_mtime() - 10
        os.utime(MANIFEST, (old, old))
        ensure_manifest()
        assert MANIFEST.stat().st_mtime >= project_mtime()
        manifest = json.loads(MANIFEST.read_text())
        assert "model.hoso_warehouse.online_ratio_by_level" in manifest["nodes"]
        print(f"\nmanifest: cold {cold:.1f} s, warm {warm * 1000:.1f} ms")
    finally:
        if not MANIFEST.exists():
            MANIFEST.write_bytes(saved.read_bytes())


def dbt_ls(database, definition: str) -> tuple[str | None, bool]:
    """dbt's log of `dbt ls` on a warehouse file with the vars of one ratio definition (None: it wrote none), and
    whether dbt parsed the project (a parse leaves its state in the target folder)."""
    target = new_target_path("test")
    try:
        run_dbt(["ls"], database, MartParams(ratio_definition=definition), target_path=target)
        log = target / "dbt.log"
        return log.read_text(encoding="utf-8") if log.exists() else None, (target / "partial_parse.msgpack").exists()
    finally:
        shutil.rmtree(target, ignore_errors=True)


@pytest.mark.slow
def test_the_project_is_parsed_once_for_each_vars_and_warehouse_name(tmp_path, monkeypatch):
    """dbt's own partial parsing reuses a parse only for the same warehouse path (its profile) and vars, else it
    parses the whole project (3-5 s); the parse is kept for the vars and the warehouse's name, and a run on a file of
    that name elsewhere (a test's, a rebuild's new file) or with those vars again parses nothing."""
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")  # dbt.log, which says whether and why dbt parsed
    ensure_manifest()
    name = f"w{uuid.uuid4().hex[:8]}"  # a name no parse is kept for
    a, b, other = tmp_path / "a" / f"{name}.duckdb", tmp_path / "b" / f"{name}.duckdb", tmp_path / f"{name}x.duckdb"
    log, parsed = dbt_ls(a, "A")
    assert parsed and "Unable to do partial parsing" in log, "first run of this name and vars: parsed"
    kept = [parse_state_path(db, MartParams()) for db in (a, b, other)]
    assert kept[0] == kept[1] != kept[2]
    assert parse_state_path(a, MartParams()).is_file()
    log, parsed = dbt_ls(b, "A")
    assert not parsed and "partial parsing" not in log.lower(), "same name and vars, another folder: not parsed"
    assert dbt_ls(b, "B")[1] and not dbt_ls(a, "B")[1], "other vars: parsed once"
    assert dbt_ls(other, "A")[1], "another name: parsed"
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE")
    assert dbt_ls(other, "A")[0] is None, "no dbt.log unless DBT_LOG_LEVEL_FILE asks for one"


@pytest.mark.slow
def test_the_documentation_site_is_one_offline_html_file(built, tmp_path):
    db = copy_warehouse(built, tmp_path)
    page = generate_docs(db, tmp_path / "docs")
    assert page == tmp_path / "docs" / "dbt_docs.html"
    assert copy_docs(tmp_path / "other") == tmp_path / "other" / "dbt_docs.html"  # current: copied, not generated
    html = page.read_text(encoding="utf-8")
    # The manifest and the catalog are inside, as JSON (non-ASCII escaped): descriptions and column comments.
    assert "online_ratio_by_level" in html and json.dumps("Tỷ lệ nộp trực tuyến")[1:-1] in html
    assert "https://cdn" not in html and "<script src=\"http" not in html
