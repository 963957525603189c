"""The portal fields the Decision-766 indicators need, in the warehouse: core.dossier_documents.has_file,
core.dossier_results.has_file_link, core.dossier_supplements and core.dossier_databases are filled by a load (the
stages run directly, without Dagster or dbt), and a warehouse created before them gains them when it is opened.

Parse-level values: tests/test_sources.py (test_portal_file_flags_supplements_and_databases).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from sources.discover import discover
from stages.extract import extract_files, partition_of
from stages.staging import REFERENCE_PARTITION
from stages.validate import Reference, empty_reference, validate_files
from warehouse.db import apply_schema, connect, writer
from warehouse.load import load_files, new_load_id, seen_files

LANDING = Path(__file__).parent / "fixtures_sources" / "landing"
KEY = "test-key-0123456789"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "000.17.29.H40-250703-0001"
FILE = "portal/hoso-20250703-01.json"

RECORD = {
    "MaHoSo": CODE, "MaTTHC": "1.001234", "TenTTHC": "Đăng ký khai sinh", "KenhThucHien": "2", "TrangThaiHoSo": "5",
    "NgayTiepNhan": "20250703080000", "NgayHenTra": "20250705170000", "DonViXuLy": "Xã Anh Sơn",
    "TaiLieuNop": [{"TepDinhKemId": "D0", "DuongDanTaiTepTin": "/upload/hoso/d0.pdf"},
                   {"TepDinhKemId": "D1", "DuongDanTaiTepTin": ""}],
    "DanhSachGiayToKetQua": [{"GiayToId": "R0", "DuongDanTepTinKetQua": "/upload/ketqua/r0.pdf"},
                             {"GiayToId": "R1", "DuongDanTepTinKetQua": " "}],
    "DanhSachHoSoBoSung": [
        {"NgayYeuCauBoSung": "20250703100000", "NoiDungYeuCau": "Bổ sung CCCD của ông Bùi Văn Khoa",
         "NgayNopBoSung": "20250704091500"},
        {"NgayYeuCauBoSung": "20250705140000", "NoiDungYeuCau": "Nộp lại tờ khai", "NgayNopBoSung": "20250705090000"},
        {"NgayYeuCauBoSung": "05/07/2025", "NoiDungYeuCau": "", "NgayNopBoSung": ""},
    ],
    "DSKetNoiCSDL": [{"MaCSDL": "CSDLQGDC", "TenCSDL": "CSDL quốc gia về dân cư"}],
}  # fmt: skip

# The two child tables as they were before has_file and has_file_link (warehouse/schema/12_core_children.sql).
OLD_DDL = """
CREATE TABLE core.dossier_documents (
    dossier_code VARCHAR, position INTEGER, file_id VARCHAR, file_name VARCHAR, is_deleted BOOLEAN,
    component_code VARCHAR, is_digitised BOOLEAN, is_reused BOOLEAN, from_national_store BOOLEAN,
    replaced_by_result_code VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
CREATE TABLE core.dossier_results (
    dossier_code VARCHAR, position INTEGER, document_name VARCHAR, component_code VARCHAR, document_id VARCHAR,
    result_code VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
"""


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def landing_with_record(root: Path) -> Path:
    """The reference files of the fixture landing and one portal batch holding RECORD."""
    landing = root / "landing"
    shutil.copytree(LANDING / "reference", landing / "reference")
    (landing / "portal").mkdir()
    (landing / FILE).write_text(json.dumps([RECORD], ensure_ascii=False), encoding="utf-8")
    return landing


def load_landing(landing: Path, db: Path) -> None:
    """The reference step, then the day's files: extract, validate, load (what the assets do, without Dagster)."""
    staging = db.parent / "staging"
    files = discover(landing)
    for reference in (True, False):
        todo = [f for f in files if (partition_of(f) == REFERENCE_PARTITION) == reference]
        with writer(db) as con:
            seen, loaded = seen_files(con)
            ref = empty_reference() if reference else Reference.from_warehouse(con)
        staged = extract_files(todo, landing, staging, KEY, seen, loaded)
        validate_files(staged, ref)
        with writer(db) as con:
            assert load_files(con, staged, new_load_id())["status"] == "succeeded"


def rows(db: Path, sql: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check_loaded(db: Path) -> None:
    assert rows(db, "SELECT relpath, outcome, records_loaded FROM meta.files WHERE relpath LIKE 'portal/%'") \
        == [(FILE, "loaded", 1)]
    assert rows(db, "SELECT file_id, has_file FROM core.dossier_documents ORDER BY position") \
        == [("D0", True), ("D1", False)]
    assert rows(db, "SELECT document_id, has_file_link FROM core.dossier_results ORDER BY position") \
        == [("R0", True), ("R1", False)]
    # the unreadable request time is NULL and the row loads with a warning; the other two are read as sent
    assert rows(db, "SELECT dossier_code, position, requested_at, resubmitted_at, source_file, source_row, "
                    "load_id IS NOT NULL, length(source_sha256) FROM core.dossier_supplements ORDER BY position") == [
        (CODE, 0, at(2025, 7, 3, 10), at(2025, 7, 4, 9, 15), FILE, 0, True, 64),
        (CODE, 1, at(2025, 7, 5, 14), at(2025, 7, 5, 9), FILE, 0, True, 64),
        (CODE, 2, None, None, FILE, 0, True, 64),
    ]
    assert rows(db, "SELECT dossier_code, position, database_code, database_name, source_file, source_row, "
                    "load_id IS NOT NULL FROM core.dossier_databases") \
        == [(CODE, 0, "CSDLQGDC", "CSDL quốc gia về dân cư", FILE, 0, True)]
    assert rows(db, "SELECT expectation_id, unexpected_count FROM meta.validations WHERE suite = 'supplements' "
                    "AND NOT success ORDER BY 1") == [("supplements.requested_at_present", 1),
                                                      ("supplements.resubmitted_not_before_requested", 1)]
    assert rows(db, "SELECT count(*) FROM core.quarantine") == [(0,)]
    # no path, link or request text anywhere in the warehouse
    con = connect(db, read_only=True)
    try:
        for schema, table in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall():
            text = con.execute(f"SELECT CAST(list(t) AS VARCHAR) FROM {schema}.{table} t").fetchone()[0] or ""
            for secret in ("/upload/", "Bùi Văn Khoa", "Nộp lại tờ khai"):
                assert secret not in text, (schema, table, secret)
    finally:
        con.close()


def test_a_load_fills_the_new_columns_and_tables(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    load_landing(landing_with_record(tmp_path), db)
    check_loaded(db)


def test_a_warehouse_created_before_gains_the_columns_and_tables(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    apply_schema(con)  # today's schema, then taken back to what the code before these fields created
    con.execute("DROP TABLE core.dossier_supplements; DROP TABLE core.dossier_databases; "
                "DROP TABLE core.dossier_documents; DROP TABLE core.dossier_results;" + OLD_DDL)
    con.execute("INSERT INTO core.dossier_documents (dossier_code, position, file_id, load_id) "
                "VALUES ('000.17.29.H40-250601-0001', 0, 'OLD', 'old-load')")
    con.close()

    with writer(db) as con:  # every writer applies the schema
        pass
    columns = dict(((t, c), d) for t, c, d in rows(
        db, "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'core' "
            "AND table_name IN ('dossier_documents', 'dossier_results', 'dossier_supplements', 'dossier_databases')"))
    assert columns[("dossier_documents", "has_file")] == "BOOLEAN"
    assert columns[("dossier_results", "has_file_link")] == "BOOLEAN"
    assert {c: d for (t, c), d in columns.items() if t == "dossier_supplements"} == {
        "dossier_code": "VARCHAR", "position": "INTEGER", "requested_at": "TIMESTAMP WITH TIME ZONE",
        "resubmitted_at": "TIMESTAMP WITH TIME ZONE", "source_file": "VARCHAR", "source_sha256": "VARCHAR",
        "source_row": "BIGINT", "load_id": "VARCHAR"}
    assert {c: d for (t, c), d in columns.items() if t == "dossier_databases"} == {
        "dossier_code": "VARCHAR", "position": "INTEGER", "database_code": "VARCHAR", "database_name": "VARCHAR",
        "source_file": "VARCHAR", "source_sha256": "VARCHAR", "source_row": "BIGINT", "load_id": "VARCHAR"}
    # the row loaded before keeps its values; whether it had a file is not known
    assert rows(db, "SELECT file_id, has_file FROM core.dossier_documents") == [("OLD", None)]
    with writer(db) as con:  # opening again changes nothing (every statement is idempotent)
        pass

    # and a load into the migrated warehouse (columns in another order) fills them like a new one
    with writer(db) as con:
        con.execute("DELETE FROM core.dossier_documents")
    load_landing(landing_with_record(tmp_path), db)
    check_loaded(db)
