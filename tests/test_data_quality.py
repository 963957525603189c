"""The data_quality part of the analysts' snapshot (warehouse/models/data_quality, views in bao_cao) and the dossier
pseudonym of the snapshot (warehouse/publish.py):

- on the hand-made test world (tests/snapshot_world.py: LOADS, FILES, QUARANTINED, VALIDATIONS) every count is
  checked by hand, the failing values and dossier codes of the quarantine do not reach the snapshot, the report
  shows the section only when the tables exist;
- on the small world run by the pipeline (and on the sample world's run of tests/test_pipeline.py, which calls
  check_world), the snapshot's data-quality counts equal meta.files and core.quarantine of the warehouse exactly, and
  the quarantine counts by reason equal the defects the generator planted (samples/ writes them into manifest.json:
  an independent expectation, 21 records);
- every `dossier_ref` of the snapshot is the keyed hash of the warehouse's dossier code under the run's key.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from dagster import DagsterInstance

import snapshot_world as w
from assets.settings import Settings, pii_key
from cli.run import run_pipeline
from reports.html import render_report
from sources.pii import pii_hash, pii_hash_sql
from warehouse.db import connect
from warehouse.dbt_runner import VN, code_version
from warehouse.publish import publish

DQ_TABLES = {"load_summary", "file_outcomes", "format_summary", "issues_by_reason", "quarantine_by_file",
             "rejections_by_reason", "snapshot_info"}
DQ_VIEWS = {"chat_luong_du_lieu_theo_lan_nap", "chat_luong_du_lieu_theo_tep", "chat_luong_du_lieu_theo_nguon",
            "loi_du_lieu_theo_ly_do", "ban_ghi_cach_ly_theo_tep", "tep_bi_tu_choi_theo_ly_do", "thong_tin_so_lieu"}


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def text_columns(con) -> pl.Series:
    """Every value of every table and view column of a database, as text."""
    out = []
    for schema, table in rows(con, "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
                                   "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal "
                                   "AND schema_name = 'bao_cao'"):
        frame = con.sql(f'SELECT COLUMNS(*)::VARCHAR FROM {schema}."{table}"').pl()
        out += [frame.get_column(c) for c in frame.columns]
    return pl.concat(out) if out else pl.Series([], dtype=pl.String)


# ---------------------------------------------------------------- the hand-made test world


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return w.build_snapshot(tmp_path_factory.mktemp("dq"))


def test_the_tables_and_views_are_in_the_snapshot(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        assert {t for (t,) in rows(con, "SELECT table_name FROM duckdb_tables() WHERE schema_name = "
                                        "'data_quality'")} == DQ_TABLES
        views = {v for (v,) in rows(con, "SELECT view_name FROM duckdb_views() WHERE schema_name = 'bao_cao'")}
        assert DQ_VIEWS <= views
        for v in DQ_VIEWS:
            assert con.execute(f"SELECT count(*) FROM bao_cao.{v}").fetchone()[0] > 0, v
        # Vietnamese column names, each with its comment
        cols = rows(con, "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = "
                         "'bao_cao' AND table_name IN (SELECT unnest(?))", [sorted(DQ_VIEWS)])
        assert cols and all(c and "data_quality." in c for _, _, c in cols)
        assert not any(re.fullmatch(r"[a-z_]+", name) for _, name, _ in cols), "Vietnamese names"
    finally:
        con.close()


def test_counts_of_the_test_world(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        # per load: the trend (the failed load saw no file; the running totals go on over it)
        assert rows(con, "SELECT load_seq, status, files, files_loaded, files_rejected, files_duplicate, records_read, "
                         "records_loaded, records_quarantined, records_warned, cumulative_records_quarantined, "
                         "quarantined_pct::VARCHAR, cumulative_quarantined_pct::VARCHAR "
                         "FROM data_quality.load_summary ORDER BY load_seq") == [
            (1, "succeeded", 1, 1, 0, 0, 9, 9, 0, 0, 0, "0.00", "0.00"),
            (2, "failed", 0, 0, 0, 0, 0, 0, 0, 0, 0, None, "0.00"),
            (3, "succeeded", 4, 2, 1, 1, 15, 12, 3, 1, 3, "20.00", "12.50")]
        # local times: 23:20 UTC is 06:20 the next day in Vietnam
        assert rows(con, "SELECT started_at FROM data_quality.load_summary WHERE load_seq = 3") == [
            (datetime(2025, 8, 7, 6, 20),)]
        # per source format
        assert rows(con, "SELECT source_format, files, files_loaded, files_rejected, files_duplicate, records_read, "
                         "records_quarantined FROM data_quality.format_summary ORDER BY 1") == [
            ("portal_dossiers", 2, 1, 0, 1, 10, 2), ("provincial_csv", 2, 1, 1, 0, 5, 1), ("units", 1, 1, 0, 0, 9, 0)]
        # by reason and severity: the failed load's earlier validation of the same file is not counted again
        assert rows(con, "SELECT reason, severity, failed_checks, records_flagged, records_quarantined, "
                         "records_resolved, files_affected FROM data_quality.issues_by_reason ORDER BY reason") == [
            ("id_number_length", "warning", 1, 1, 0, 0, 1),
            ("missing_dossier_code", "critical", 1, 1, 1, 0, 1),
            ("received_at_invalid", "critical", 1, 1, 1, 1, 1),
            ("unknown_channel", "critical", 1, 1, 0, 0, 1),  # a second reason, not the primary one
            ("unknown_unit", "critical", 1, 1, 1, 0, 1)]
        assert rows(con, "SELECT file_path, reason, records_quarantined, records_resolved, records_open "
                         "FROM data_quality.quarantine_by_file ORDER BY 1, 2") == [
            (w.PORTAL_BATCH, "missing_dossier_code", 1, 0, 1), (w.PORTAL_BATCH, "unknown_unit", 1, 0, 1),
            (w.CSV_EXPORT, "received_at_invalid", 1, 1, 0)]
        # refused files by kind of reason: no file name, numbers as #
        assert rows(con, "SELECT outcome, source_format, reason_pattern, files FROM "
                         "data_quality.rejections_by_reason ORDER BY 1") == [
            ("duplicate_file", "portal_dossiers", "the same bytes as a file already loaded", 1),
            ("rejected", "provincial_csv", "line #: # fields, the header has #", 1)]
        assert rows(con, "SELECT outcome, reason FROM data_quality.file_outcomes WHERE outcome = 'rejected'") == [
            ("rejected", "provincial/17344-hoso-20250806.csv: line 3: 12 fields, the header has 20")]
        # the same under Vietnamese names
        assert rows(con, 'SELECT "Lý do", "Mức độ", "Số bản ghi bị cách ly" FROM bao_cao.loi_du_lieu_theo_ly_do '
                         "WHERE \"Số bản ghi bị cách ly\" > 0 ORDER BY 1") == [
            ("missing_dossier_code", "critical", 1), ("received_at_invalid", "critical", 1),
            ("unknown_unit", "critical", 1)]
    finally:
        con.close()


def test_snapshot_info(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        (info,) = con.sql("FROM data_quality.snapshot_info").to_arrow_table().to_pylist()
    finally:
        con.close()
    now = datetime.now(VN).replace(tzinfo=None)
    assert info["built_at"].tzinfo is None and 0 <= (now - info["built_at"]).total_seconds() < 3600, info
    assert (info["window_start"], info["window_end"]) == (datetime(2025, 7, 1), datetime(2025, 8, 6, 16))
    assert (info["ratio_definition"], info["home_province"], info["home_province_name"]) == ("A", "40", w.HOME_NAME)
    assert info["code_version"] == code_version() and info["code_version"] != "unknown"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\+[0-9a-f]{12})?", info["code_version"])
    assert (info["loads_succeeded"], info["last_load_id"]) == (2, w.LOADS[2][0])


def test_no_failed_value_and_no_dossier_code_reach_the_snapshot(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        names = {c for (c,) in rows(con, "SELECT column_name FROM duckdb_columns()")}
        assert not names & {"dossier_code", "failed_values", "record", "reasons", "sample_values"}
        texts = text_columns(con).drop_nulls()
    finally:
        con.close()
    codes = [d.code for d in w.dossiers()] + [q[5] for q in w.QUARANTINED if q[5]]
    planted = ["0912345678", "Xã Không Có", "31/06/2025"]
    assert not texts.str.contains_any(codes + planted).any()


def test_dossier_ref_is_the_keyed_pseudonym(built, tmp_path):
    con = duckdb.connect(str(built), read_only=True)
    try:
        refs = [r for (r,) in rows(con, "SELECT dossier_ref FROM marts.fct_case_files")]
        comment = rows(con, "SELECT comment FROM duckdb_columns() WHERE column_name = 'dossier_ref'")[0][0]
    finally:
        con.close()
    assert sorted(refs) == sorted(pii_hash(d.code, w.TEST_KEY) for d in w.dossiers())
    assert len(set(refs)) == len(refs) and all(re.fullmatch(r"[0-9a-f]{64}", r) for r in refs)
    assert comment.startswith("Mã tham chiếu hồ sơ (bí danh) | keyed pseudonym")
    # The same key gives the same references (analysts' joins survive a rebuild); another key, others.
    warehouse = built.parent / "warehouse.duckdb"
    again, other = tmp_path / "again.duckdb", tmp_path / "other.duckdb"
    con = connect(warehouse)
    try:
        publish(con, again, w.TEST_KEY)
        publish(con, other, "another-key-of-at-least-16")
        with pytest.raises(ValueError, match="PII key"):
            publish(con, tmp_path / "none.duckdb", "")
    finally:
        con.close()
    for path, same in ((again, True), (other, False)):
        c = duckdb.connect(str(path), read_only=True)
        try:
            got = {r for (r,) in rows(c, "SELECT dossier_ref FROM marts.fct_case_files")}
        finally:
            c.close()
        assert (got == set(refs)) is same and (not got & set(refs)) is not same


def test_a_view_showing_the_dossier_code_is_not_published(built, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.parent / "warehouse.duckdb", warehouse)
    con = connect(warehouse)
    try:
        con.execute("CREATE VIEW bao_cao.ma_ho_so AS SELECT dossier_code FROM marts.fct_case_files")
        with pytest.raises(RuntimeError, match="bao_cao.ma_ho_so shows dossier_code"):
            publish(con, tmp_path / "analytics.duckdb", w.TEST_KEY)
    finally:
        con.close()
    assert not list(tmp_path.glob("*analytics.duckdb*")), "refused before any copy"


def test_the_report_shows_data_quality_when_the_snapshot_has_it(built, tmp_path):
    html = render_report(built, tmp_path / "report.html").read_text(encoding="utf-8")
    part = re.search(r'<section id="chat-luong".*?</section>', html, flags=re.S).group(0)
    assert '<a href="#chat-luong">' in html
    # counts by reason and severity (Vietnamese label beside the reason name)
    assert "<strong class=\"warn\">3</strong> bản ghi bị cách ly trên 24 bản ghi đọc được (12,50%)" in part
    assert "đơn vị không có trong danh mục<br><code>unknown_unit</code>" in part and "Nghiêm trọng" in part
    assert "Cảnh báo" in part and "id_number_length" in part
    # the worst files: the portal batch first (2 quarantined), with its reasons; the refused and duplicate files
    worst = part.split('class="worst-files"')[1].split("</table>")[0]
    assert worst.index(w.PORTAL_BATCH) < worst.index(w.CSV_EXPORT)
    assert "missing_dossier_code (1); unknown_unit (1)" in worst
    assert "provincial/17344-hoso-20250806.csv" in part and "portal/hoso-20250702-02.json" in part
    # the trend over the loads: a chart, and a row per load that saw files
    assert part.count("<svg") == 2
    assert "Bản ghi bị cách ly theo lần nạp" in part
    # the build time of the snapshot
    assert "Số liệu tạo lúc" in html
    # no failing value, no dossier code
    assert "0912345678" not in html and "Xã Không Có" not in html and "H40-250702-0901" not in html
    # Without the data_quality tables (an older snapshot) the section is left out.
    old = tmp_path / "old.duckdb"
    shutil.copy(built, old)
    con = duckdb.connect(str(old))
    try:
        con.execute("DROP SCHEMA data_quality CASCADE")
    finally:
        con.close()
    html = render_report(old, tmp_path / "old.html").read_text(encoding="utf-8")
    assert 'id="chat-luong"' not in html and '#chat-luong' not in html


# ---------------------------------------------------------------- generated worlds through the pipeline


def run_world(landing: Path, root: Path) -> Settings:
    settings = Settings(landing_dir=landing, warehouse_db=root / "warehouse.duckdb",
                        analytics_db=root / "analytics.duckdb", dagster_home=root / "dagster_home",
                        docs_dir=root / "docs")
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)
    return settings


def check_world(settings: Settings, landing: Path) -> dict[str, int]:
    """The snapshot's data_quality tables against the warehouse's records (exactly) and the generator's manifest
    (the planted defects); the snapshot's dossier references against the warehouse's codes. Returns the quarantine
    counts by reason."""
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{settings.warehouse_db}' AS wh (READ_ONLY)")
        con.execute(f"ATTACH '{settings.analytics_db}' AS an (READ_ONLY)")
        # per file: every file version of meta.files, with its outcome, reason and counts
        assert rows(con, "SELECT relpath, sha256, kind, load_id, outcome, reason, coalesce(records_read, 0), "
                         "coalesce(records_loaded, 0), coalesce(records_quarantined, 0), coalesce(records_warned, 0) "
                         "FROM wh.meta.files ORDER BY ALL") == rows(
            con, "SELECT file_path, file_sha256, source_format, load_id, outcome, reason, records_read, "
                 "records_loaded, records_quarantined, records_warned FROM an.data_quality.file_outcomes ORDER BY ALL")
        # per source format and per load: the sums of meta.files
        for key, table, col in (("kind", "format_summary", "source_format"), ("load_id", "load_summary", "load_id")):
            assert rows(con, f"SELECT {key}, count(*) FILTER (WHERE outcome = 'loaded'), "
                             "count(*) FILTER (WHERE outcome = 'rejected'), "
                             "count(*) FILTER (WHERE outcome = 'duplicate_file'), sum(records_read)::BIGINT, "
                             "sum(records_quarantined)::BIGINT FROM wh.meta.files GROUP BY ALL ORDER BY 1") == rows(
                con, f"SELECT {col}, files_loaded, files_rejected, files_duplicate, records_read, "
                     f"records_quarantined FROM an.data_quality.{table} WHERE files > 0 ORDER BY 1"), table
        assert rows(con, "SELECT load_id, status FROM wh.meta.loads ORDER BY 1") == rows(
            con, "SELECT load_id, status FROM an.data_quality.load_summary ORDER BY 1")
        # the quarantine per file and reason, and per reason
        assert rows(con, "SELECT source_file, source_sha256, entity, reason, count(*), "
                         "count(resolved_by_load_id) FROM wh.core.quarantine GROUP BY ALL ORDER BY ALL") == rows(
            con, "SELECT file_path, file_sha256, entity, reason, records_quarantined, records_resolved "
                 "FROM an.data_quality.quarantine_by_file ORDER BY ALL")
        by_reason = dict(rows(con, "SELECT reason, records_quarantined FROM an.data_quality.issues_by_reason "
                                   "WHERE records_quarantined > 0"))
        assert by_reason == dict(rows(con, "SELECT reason, count(*) FROM wh.core.quarantine GROUP BY ALL"))
        # the manifest: every planted record defect that the quarantine owes (a record quarantined, or quarantined
        # first and loaded when it arrived corrected), by reason; the duplicated batches
        planted = Counter(d["reason"] for d in manifest["defects"]
                          if d["outcome"] in ("quarantined", "loaded_after_correction"))
        assert by_reason == dict(planted)
        resolved = rows(con, "SELECT sum(records_resolved)::BIGINT FROM an.data_quality.issues_by_reason")[0][0]
        assert resolved == sum(d["outcome"] == "loaded_after_correction" for d in manifest["defects"])
        duplicates = sorted(d["file"] for d in manifest["defects"] if d["outcome"] == "file_skipped_duplicate")
        assert [p for (p,) in rows(con, "SELECT file_path FROM an.data_quality.file_outcomes "
                                        "WHERE outcome = 'duplicate_file' ORDER BY 1")] == duplicates
        listed = {f["path"]: f["records"] for f in manifest["files"]}
        for path, read in rows(con, "SELECT file_path, records_read FROM an.data_quality.file_outcomes "
                                    "WHERE outcome = 'loaded'"):
            assert read == listed[path], path
        # the pseudonym: every reference is the keyed hash of a warehouse code, one for one
        key = pii_key(allow_demo=True)
        n_wh, n_an, joined = rows(con, f"""
            SELECT (SELECT count(*) FROM wh.marts.fct_case_files), (SELECT count(*) FROM an.marts.fct_case_files),
                   (SELECT count(*) FROM wh.marts.fct_case_files f JOIN an.marts.fct_case_files s
                    ON s.dossier_ref = {pii_hash_sql('f.dossier_code')} AND s.unit_code = f.unit_code
                    AND s.received_at IS NOT DISTINCT FROM f.received_at)""", {"pii_key": key})[0]
        assert n_wh == n_an == joined > 0
        assert not rows(con, "SELECT 1 FROM duckdb_columns() WHERE database_name = 'an' AND column_name = "
                             "'dossier_code'")
    finally:
        con.close()
    return by_reason


def test_small_world_data_quality_equals_the_records_and_the_manifest(small_world_dir, tmp_path):
    settings = run_world(small_world_dir, tmp_path)
    by_reason = check_world(settings, small_world_dir)
    assert sum(by_reason.values()) == 21
