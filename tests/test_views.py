"""The bao_cao views (dbt models warehouse/models/bao_cao/*.sql, documented in their schema.yml): built in the
warehouse by dbt and created again inside the snapshot by publish (through an ATTACH), they must still resolve when
the snapshot file is opened on its own, under another name, or attached under another alias next to a database that
has its own marts; every view and column is commented as schema.yml says."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest
import yaml

import snapshot_world as w
from warehouse.dbt_runner import PROJECT_DIR


@dataclass(frozen=True)
class ViewDoc:
    view: str                       # bao_cao.x
    source: str                     # marts.y
    description: str
    columns: dict[str, str]         # Vietnamese column name -> comment


def view_docs() -> list[ViewDoc]:
    folder = PROJECT_DIR / "models" / "bao_cao"
    docs = []
    models = [m for yml in sorted(folder.glob("*.yml"))  # schema.yml; chat_luong_du_lieu.yml (data quality)
              for m in yaml.safe_load(yml.read_text(encoding="utf-8"))["models"]]
    for m in models:
        sql = (folder / f"{m['name']}.sql").read_text(encoding="utf-8")
        table = re.search(r"ref\('([a-z_]+)'\)", sql).group(1)
        schema = next(p.parent.name for p in (PROJECT_DIR / "models").glob(f"*/{table}.sql"))
        source = f"{schema}.{table}"
        docs.append(ViewDoc(f"bao_cao.{m['name']}", source, m["description"],
                            {c["name"]: c["description"] for c in m["columns"]}))
    return docs


VIEWS = {d.view: d for d in view_docs()}
LEVEL_LABELS = ["Toàn tỉnh (sở, ngành và cấp xã)", "Cấp tỉnh (sở, ngành)", "Cấp xã"]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return w.build_snapshot(tmp_path_factory.mktemp("views"))


def rows(con, sql):
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_the_headline_views_exist():
    assert {"bao_cao.ty_le_theo_cap", "bao_cao.ty_le_theo_xa", "bao_cao.doi_chieu_bao_cao",
            "bao_cao.tien_do_nhiem_vu_xa", "bao_cao.xep_hang_tinh", "bao_cao.dung_han_theo_cap",
            "bao_cao.nhiem_vu_tung_xa"} <= set(VIEWS)


def test_views_resolve_when_the_snapshot_is_opened_on_its_own(snapshot, tmp_path):
    renamed = tmp_path / "another-name.duckdb"
    shutil.copy(snapshot, renamed)
    for path in (snapshot, renamed):
        con = duckdb.connect(str(path), read_only=True)
        try:
            stored = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'bao_cao'").fetchall()
            assert {f"bao_cao.{v}" for v, _ in stored} == set(VIEWS)
            for _, sql in stored:
                assert "snapshot." not in sql, "the view SQL must not name the alias it was created under"
            for view, doc in VIEWS.items():
                n_view = con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
                n_mart = con.execute(f"SELECT count(*) FROM {doc.source}").fetchone()[0]
                assert n_view == n_mart > 0, view
        finally:
            con.close()


def test_views_read_their_own_database_when_attached_beside_other_marts(snapshot, tmp_path):
    """A connection whose default database has its own (different) marts.online_ratio_by_level."""
    con = duckdb.connect(str(tmp_path / "other.duckdb"))
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.online_ratio_by_level AS "
                    "SELECT * FROM (VALUES ('province_wide', 1)) t(level_key, received)")
        con.execute(f"ATTACH '{snapshot}' AS snap_b (READ_ONLY)")
        got = con.execute('SELECT "Số hồ sơ tiếp nhận" FROM snap_b.bao_cao.ty_le_theo_cap '
                          "WHERE \"Tỉnh nhà\" AND \"Mã cấp\" = 'toan_tinh'").fetchone()[0]
        assert got == 77
    finally:
        con.close()


def test_the_views_in_the_warehouse_and_in_the_snapshot_agree(snapshot):
    """dbt builds the views in the warehouse too (over the warehouse's marts); publish copies them, comments
    included, and neither names a database."""
    con = duckdb.connect(str(snapshot.parent / "warehouse.duckdb"), read_only=True)
    try:
        con.execute(f"ATTACH '{snapshot}' AS published (READ_ONLY)")
        q = ("SELECT view_name, comment, sql FROM duckdb_views() WHERE database_name = ? AND schema_name = 'bao_cao' "
             "ORDER BY 1")
        in_warehouse, in_snapshot = con.execute(q, ["warehouse"]).fetchall(), con.execute(q, ["published"]).fetchall()
        assert in_warehouse == in_snapshot and len(in_snapshot) == len(VIEWS)
        assert not [v for v, _, sql in in_snapshot if "warehouse." in sql or '"warehouse"' in sql]
        for view in VIEWS:
            a = con.execute(f"SELECT count(*) FROM (FROM warehouse.{view} EXCEPT ALL FROM published.{view})")
            assert a.fetchone()[0] == 0, view
    finally:
        con.close()


def test_every_view_and_column_is_commented_as_schema_yml_says(snapshot):
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        comments = dict(con.execute(
            "SELECT 'bao_cao.' || view_name, comment FROM duckdb_views() WHERE schema_name = 'bao_cao'").fetchall())
        for view, doc in VIEWS.items():
            assert comments[view] == doc.description and " | " in doc.description
            cols = con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'bao_cao' AND table_name = ? "
                "ORDER BY column_index", [view.split(".")[1]]).fetchall()
            assert [c for c, _ in cols] == list(doc.columns), f"{view}: schema.yml must list the columns in order"
            for column, comment in cols:
                assert comment == doc.columns[column]
                assert comment.endswith(")") and f"({doc.source}." in comment
    finally:
        con.close()


def test_view_values_under_vietnamese_names(snapshot):
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cap = rows(con, 'FROM bao_cao.ty_le_theo_cap WHERE "Tỉnh nhà"')
        assert [(r["Mã cấp"], r["Số hồ sơ tiếp nhận"], r["Số hồ sơ trực tuyến"], r["Tỷ lệ nộp trực tuyến (%)"],
                 r["Số hồ sơ đã trả"]) for r in cap] == [
            ("toan_tinh", 77, 57, Decimal("74.03"), 39),
            ("cap_tinh", 38, 29, Decimal("76.32"), 19),
            ("cap_xa", 39, 28, Decimal("71.79"), 20),
        ]
        # One label per level, the report's; the definition in Vietnamese with the English beside it.
        assert [r["Cấp"] for r in cap] == LEVEL_LABELS
        assert cap[0]["Định nghĩa tỷ lệ"] == "A" and cap[0]["Công thức"] == "57 / 77"
        assert cap[0]["Cách tính"] == "A: trực tuyến / tổng số tiếp nhận | online / all received"
        # Local wall-clock times, whatever the session's time zone.
        assert (cap[0]["Từ thời điểm"], cap[0]["Đến trước thời điểm"]) == \
            (datetime(2025, 7, 1, 0, 0), datetime(2025, 8, 6, 16, 0))

        # Every province with records has its rows: the test world's one dossier of Hà Tĩnh (42), online and returned,
        # at its agency 42S01; Hà Tĩnh's reference lists no commune.
        other = rows(con, 'FROM bao_cao.ty_le_theo_cap WHERE NOT "Tỉnh nhà"')
        assert [(r["Mã tỉnh"], r["Mã cấp"], r["Số hồ sơ tiếp nhận"], r["Số hồ sơ trực tuyến"],
                 r["Tỷ lệ nộp trực tuyến (%)"], r["Số hồ sơ đã trả"]) for r in other] == [
            ("42", "toan_tinh", 1, 1, Decimal("100.00"), 1),
            ("42", "cap_tinh", 1, 1, Decimal("100.00"), 1),
            ("42", "cap_xa", 0, 0, None, 0),
        ]
        assert [(r["Mã tỉnh"], r["Xếp hạng"], r["Mã đơn vị"]) for r in
                rows(con, 'FROM bao_cao.xep_hang_so_nganh WHERE NOT "Tỉnh nhà"')] == [("42", 1, "42S01")]
        assert rows(con, 'FROM bao_cao.ty_le_theo_xa WHERE NOT "Tỉnh nhà"') == []

        xa = rows(con, 'FROM bao_cao.ty_le_theo_xa WHERE "Tỉnh nhà"')
        assert [r["Tên xã, phường"] for r in xa] == [u.name for u in w.COMMUNES]  # already in ratio order
        assert [r["Đạt chỉ tiêu"] for r in xa] == [True, True, True, False, False, False]
        assert xa[-1]["Tỷ lệ nộp trực tuyến (%)"] is None and xa[-1]["Số hồ sơ tiếp nhận"] == 0

        dc = {r["Mã chỉ tiêu"]: r for r in rows(con, "FROM bao_cao.doi_chieu_bao_cao")}
        assert dc["P4_ratio"]["Khớp"] is False
        assert dc["P4_ratio"]["Chỉ tiêu tái lập được"] == "ratio.commune_online_over_agency_online"
        assert dc["P1_ratio"]["Khớp"] is True and dc["P9_lookups"]["Khớp"] is None
        # Findings in Vietnamese, numbers as Vietnamese readers write them; the English in its own column.
        assert dc["P4_ratio"]["Kết luận"] == (
            "không khớp với nhãn: tính lại từ hồ sơ được 71,79% (trực tuyến / tiếp nhận, cấp xã = 28 / 39); "
            "số công bố 96,55% là trực tuyến cấp xã / trực tuyến cấp tỉnh (sở, ngành) = 28 / 29")
        assert dc["P4_ratio"]["Kết luận (tiếng Anh)"].startswith("does not match its label: the records give 71.79%")
        assert dc["P1_ratio"]["Kết luận"] == "khớp với số liệu tính lại từ hồ sơ"
        assert dc["P9_lookups"]["Kết luận"].startswith("không tính lại được")
        assert dc["P9_lookups"]["Số liệu công bố"] == 1128038
        assert {r["Đơn vị"] for r in dc.values()} == {"tỷ lệ (%)", "số lượng", "thứ hạng"}

        nv = rows(con, "FROM bao_cao.tien_do_nhiem_vu_xa WHERE \"Ngày số liệu\" = DATE '2025-08-06'")
        assert [(r["Số nhiệm vụ hoàn thành"], r["Số xã"], r["Dưới 70%"]) for r in nv] == \
            [(16, 2, False), (15, 1, False), (14, 1, False), (12, 1, False), (10, 1, True)]

        home = rows(con, "FROM bao_cao.xep_hang_tinh WHERE \"Tỉnh báo cáo\"")
        assert [(r["Ngày số liệu"], r["Hạng trực tuyến"], r["Thay đổi hạng trực tuyến"], r["Hạng nhiệm vụ cấp xã"],
                 r["Thay đổi hạng nhiệm vụ"], r["Số tỉnh"]) for r in home] == [
            (date(2025, 7, 22), 25, None, 22, None, 34), (date(2025, 8, 6), 20, 5, 20, 2, 34)]

        trend = rows(con, "FROM bao_cao.xu_huong_theo_ngay WHERE \"Tỉnh nhà\" AND \"Mã cấp\" = 'toan_tinh'")
        assert trend[-1]["Cấp"] == LEVEL_LABELS[0] and trend[-1]["Tỷ lệ lũy kế (%)"] == Decimal("74.03")
        assert trend[-1]["Lũy kế tiếp nhận"] == 77

        defs = rows(con, "FROM bao_cao.cac_dinh_nghia_ty_le WHERE \"Tỉnh nhà\" AND \"Mã cấp\" = 'cap_xa'")
        assert [(r["Định nghĩa tỷ lệ"], r["Tỷ lệ (%)"]) for r in defs] == [
            ("A", Decimal("71.79")), ("B", Decimal("77.78")), ("C", Decimal("73.68")), ("D", Decimal("62.59"))]

        sn = rows(con, 'FROM bao_cao.xep_hang_so_nganh WHERE "Tỉnh nhà"')
        assert [(r["Xếp hạng"], r["Tên sở, ngành"]) for r in sn] == [(1, "Sở Nội vụ"), (2, "Sở Xây dựng"),
                                                                      (3, "Sở Y tế")]

        # On time / overdue per level: the status-10 dossiers were processed 2 days after receipt, due after 5 (on
        # time); the others are open, overdue unless due after the window end (06/08/2025 16:00).
        dh = rows(con, 'FROM bao_cao.dung_han_theo_cap WHERE "Tỉnh nhà"')
        assert [(r["Mã cấp"], r["Cấp"], r["Số hồ sơ đã xử lý"], r["Đúng hạn"], r["Trễ hạn"], r["Đang giải quyết"],
                 r["Quá hạn"], r["Trong hạn"], r["Không xét"]) for r in dh] == [
            ("toan_tinh", LEVEL_LABELS[0], 39, 39, 0, 38, 36, 2, 0),
            ("cap_tinh", LEVEL_LABELS[1], 19, 19, 0, 19, 17, 2, 0),
            ("cap_xa", LEVEL_LABELS[2], 20, 20, 0, 19, 19, 0, 0)]
        assert {r["Tính đến thời điểm"] for r in dh} == {datetime(2025, 8, 6, 16, 0)}

        nv = rows(con, "FROM bao_cao.nhiem_vu_tung_xa WHERE \"Kỳ mới nhất\" AND NOT \"Đã hoàn thành\"")
        assert len(nv) == sum(16 - n for n in w.COMMUNE_TASKS_DONE[date(2025, 8, 6)])
        assert {r["Mã nhiệm vụ"] for r in nv if r["Mã xã"] == "17380"} == {"NV16"}   # Yên Xuân: 15/16
    finally:
        con.close()


def test_times_are_vietnam_wall_clock_in_any_session_time_zone(snapshot):
    """A plain filter on the local times means the same whatever the session's time zone (UTC here, as in a
    fresh DuckDB connection): the window's dossiers, no more (the test world has one received at 06/08 16:00
    exactly and one at 30/06 23:59:59, both outside)."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")  # an analyst's session on a UTC machine
        assert con.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"
        n = con.execute("SELECT count(*) FROM marts.fct_case_files WHERE received_at >= '2025-07-01' "
                        "AND received_at < '2025-08-06 16:00' AND NOT is_test AND province_code = '40'").fetchone()[0]
        assert n == len(w.counted_dossiers()) == 77
        # the last one before the window (the snapshot shows dossiers by pseudonym, so found by its time)
        first = con.execute("SELECT received_at, received_date FROM marts.fct_case_files "
                            "WHERE received_at < '2025-07-01' ORDER BY received_at DESC LIMIT 1").fetchone()
        assert first == (datetime(2025, 6, 30, 23, 59, 59), date(2025, 6, 30))
    finally:
        con.close()


def test_no_zone_typed_time_and_no_hugeint_in_the_snapshot(snapshot):
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        bad = con.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name <> 'main' "
            "AND data_type IN ('TIMESTAMP WITH TIME ZONE', 'HUGEINT')").fetchall()
        assert bad == []
        types = dict(con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'marts' AND table_name = 'fct_case_files'").fetchall())
        assert {types[c] for c in ("received_at", "due_at", "processed_at", "returned_at")} == {"TIMESTAMP"}
        comments = dict(con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = 'fct_case_files'").fetchall())
        assert all("(giờ Việt Nam) | " in comments[c] and "Vietnam local time" in comments[c]
                   for c in ("received_at", "due_at", "processed_at", "returned_at"))
    finally:
        con.close()
