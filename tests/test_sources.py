"""Tests of the format parsers (sources/): exact parsed values, schemas, personal data, bad input, discovery.

Fixtures: tests/fixtures_sources/landing/ is a tiny handcrafted landing folder written from docs/data-contracts.md;
XLSX workbooks and bad files are built in tmp_path by the tests.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from expectations.suites import suite_names
from sources import CANONICAL_SCHEMAS, Parsed, SourceError, SourceFile, discover, parse
from sources.discover import classify
from sources.duck import connect
from sources.labels import (
    CHANNEL_LABELS,
    STATUS_LABELS,
    CODES,
    WHITESPACE,
    normalise,
    unit_name_key_expr,
)
from sources.pii import pii_hash, pii_hash_expr, pii_hash_sql, trim_sql
from sources.registry import FRAMES, KINDS, REFERENCE_KINDS
from warehouse.db import apply_schema

LANDING = Path(__file__).parent / "fixtures_sources" / "landing"
KEY = "test-key-0123456789"
VN = ZoneInfo("Asia/Ho_Chi_Minh")

# Every personal value written in the fixtures (and in the XLSX built below): none may appear in a parsed frame.
PERSONAL_VALUES = [
    "Nguyễn Văn An", "040095001234", "0912345678", "an.nguyen@example.vn", "Lê Thị Cúc", "0987654321",
    "Phạm Minh Đức", "040095001", "duc.pham@example.vn", "Võ Thị Em", "Trần Thị Bình", "Hoàng Văn Giang",
    "Đặng Thị Hoa", "Xóm 3, Xã Anh Sơn", "Bùi Văn Khoa", "Xóm 5, Xã Anh Sơn",
    "Ngô Thị Lan", "0911222333", "Đỗ Văn Minh", "0933444555",
    # free text and identifiers that are not carried
    "DT-SECRET-77", "ghi chú riêng tư", "Khai sinh cho con của Nguyễn Văn An", "gọi trước cho chị An",
    "/uploads/an/to_khai.pdf", "/results/an/gks.pdf", "02383111222", "Đã trả tại bộ phận một cửa",
    "/uploads/an/gcs.pdf", "Bổ sung giấy chứng sinh", "0911222444",  # a path and a supplement request's text
]  # fmt: skip


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def sources_by_path(landing: Path = LANDING) -> dict[str, SourceFile]:
    return {s.relpath: s for s in discover(landing)}


def parse_rel(relpath: str, landing: Path = LANDING) -> Parsed:
    return parse(sources_by_path(landing)[relpath], landing, KEY)


def source_for(path: Path, landing: Path) -> SourceFile:
    relpath = path.relative_to(landing).as_posix()
    return next(s for s in discover(landing) if s.relpath == relpath)


# ---- XLSX variant B, built with openpyxl ------------------------------------------------------------------------

VARIANT_B = [
    "STT", "Số hồ sơ", "Tên thủ tục", "Mã TTHC", "Lĩnh vực", "Đơn vị xử lý", "Tình trạng", "Người nộp",
    "Số điện thoại", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Ngày trả", "Kênh nộp",
]  # fmt: skip


def write_xlsx(path: Path, header: list[str] = VARIANT_B, rows: list[list] | None = None) -> Path:
    from openpyxl import Workbook

    if rows is None:
        rows = [
            [1, "000.17.29.H40-250803-0004", "Cấp bản sao trích lục hộ tịch", "1.004884", "Hộ tịch", "Xã Anh Sơn",
             "Đã trả kết quả", "Ngô Thị Lan", "0911222333", datetime(2025, 8, 3, 9, 5, 0), "05/08/2025",
             datetime(2025, 8, 4, 16, 0, 0), "05/08/2025 10:20:00", "Trực tuyến"],
            [2, "000.17.29.H40-250804-0011", "Chứng thực chữ ký", 2000815, "Chứng thực", "Xã Anh Sơn",
             "Đang xử lý", "Đỗ Văn Minh", "0933444555", "04/08/2025", None, None, None, "Trực tiếp"],
            [3, "000.17.29.H40-250804-0012", "Chứng thực chữ ký", "2.000815", "Chứng thực", "Xã Anh Sơn",
             "Mới tiếp nhận", None, None, "04/08/2025 14:30:00", None, None, None, None],
        ]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    last = chr(ord("A") + len(header) - 1)
    ws.append(["DANH SÁCH HỒ SƠ"])
    ws.merge_cells(f"A1:{last}1")
    ws.append(["Từ ngày 01/07/2025 đến ngày 06/08/2025"])
    ws.merge_cells(f"A2:{last}2")
    ws.append(["Xã Anh Sơn"])
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    for r in range(6, 6 + len(rows)):
        for c in range(1, len(header) + 1):
            if isinstance(ws.cell(r, c).value, datetime):
                ws.cell(r, c).number_format = "dd/mm/yyyy hh:mm:ss"
    ws.append([])  # trailing empty rows
    ws.append([None, None, None])
    wb.save(path)
    return path


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    """A copy of the fixture landing folder plus a variant-B XLSX export."""
    root = tmp_path / "landing"
    shutil.copytree(LANDING, root)
    write_xlsx(root / "provincial" / "17329-hoso-20250805.xlsx")
    return root


# ---- discover ---------------------------------------------------------------------------------------------------


def test_discover_classifies_and_orders(landing: Path) -> None:
    found = discover(landing)
    assert [(s.kind, s.relpath) for s in found] == [
        ("units", "reference/units.csv"),
        ("procedures", "reference/procedures.csv"),
        ("published_figures", "reference/published_figures.csv"),
        ("portal_dossiers", "portal/hoso-20250701-01.json"),
        ("portal_history", "portal/xuly-20250701-01.json"),
        ("portal_dossiers", "portal/hoso-20250702-01.json"),
        ("provincial_xlsx", "provincial/17329-hoso-20250805.xlsx"),
        ("provincial_csv", "provincial/17329-hoso-20250806.csv"),
        ("province_tasks", "tasks/nhiem-vu-tinh-20250806.csv"),
        ("commune_tasks", "tasks/nq57-xa-20250806.csv"),
        ("province_snapshot", "tasks/xep-hang-tinh.csv"),
        ("manifest", "manifest.json"),
        ("unknown", "README.txt"),
    ]
    by = {s.relpath: s for s in found}
    portal = by["portal/hoso-20250701-01.json"]
    assert portal.batch_seq == 2025070101
    assert portal.observed_at == at(2025, 7, 1, 23, 59, 59)
    assert portal.observed_at.utcoffset().total_seconds() == 7 * 3600
    assert portal.snapshot_date == date(2025, 7, 1)
    assert portal.path.is_absolute() and portal.path == (landing / portal.relpath).resolve()
    assert portal.size == portal.path.stat().st_size
    assert portal.sha256 == hashlib.sha256(portal.path.read_bytes()).hexdigest()
    csv = by["provincial/17329-hoso-20250806.csv"]
    assert (csv.batch_seq, csv.observed_at, csv.snapshot_date) == (2025080600, at(2025, 8, 6, 16), date(2025, 8, 6))
    tasks = by["tasks/nq57-xa-20250806.csv"]
    assert (tasks.batch_seq, tasks.observed_at, tasks.snapshot_date) == (2025080600, at(2025, 8, 6, 16), date(2025, 8, 6))
    for name in ("reference/units.csv", "tasks/xep-hang-tinh.csv", "manifest.json", "README.txt"):
        assert (by[name].batch_seq, by[name].observed_at, by[name].snapshot_date) == (None, None, None)
    with pytest.raises(Exception):
        portal.kind = "x"  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    "relpath, kind",
    [
        ("portal/hoso-20251399-01.json", "unknown"),  # impossible date
        ("portal/hoso-20250701.json", "unknown"),  # no batch number
        ("portal/hoso-20250701-01.JSON", "portal_dossiers"),
        ("provincial/~$17329-hoso-20250806.xlsx", "unknown"),  # Excel lock file
        ("provincial/40S01-hoso-20250806.xlsx", "provincial_xlsx"),
        ("reference/units.csv.bak", "unknown"),
        ("portal/sub/hoso-20250701-01.json", "unknown"),
    ],
)
def test_classify_patterns(relpath: str, kind: str) -> None:
    assert classify(relpath)[0] == kind


def test_discover_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nope")


# ---- portal JSON ------------------------------------------------------------------------------------------------


def test_portal_dossier_values() -> None:
    parsed = parse_rel("portal/hoso-20250701-01.json")
    assert set(parsed.frames) == set(KINDS["portal_dossiers"].frames)
    assert parsed.notes == []
    rows = parsed.frames["dossiers"].to_dicts()
    assert len(rows) == 4
    first = rows[0]
    sha = sources_by_path()["portal/hoso-20250701-01.json"].sha256
    assert {k: first[k] for k in first if not k.endswith("_hash")} == {
        "dossier_code": "000.17.29.H40-250701-0001",
        "procedure_code": "1.001234",
        "procedure_name": "Đăng ký khai sinh",
        "field_code": "HT",
        "field_name": "Hộ tịch",
        "unit_name": "Xã Anh Sơn",
        "channel": 2,
        "channel_raw": "2",
        "status": 10,
        "status_raw": "10",
        "applicant_type": 1,
        "submitted_at": at(2025, 7, 1, 8, 0, 0),
        "received_at": at(2025, 7, 1, 8, 30, 15),
        "due_at": at(2025, 7, 3, 17, 0, 0),
        "processed_at": at(2025, 7, 2, 9, 30, 0),
        "returned_at": at(2025, 7, 2, 10, 0, 0),
        "refused_at": None,
        "submitted_at_raw": "20250701080000",
        "received_at_raw": "20250701083015",
        "due_at_raw": "20250703170000",
        "processed_at_raw": "20250702093000",
        "returned_at_raw": "20250702100000",
        "refused_at_raw": None,
        "result_form": "1",
        "submit_place": "2",
        "has_digitised_component": True,
        "vneid_verified": True,
        "paid_online": True,
        "owner_id_length": 12,
        "is_test": False,
        "source_format": "portal_json",
        "source_file": "portal/hoso-20250701-01.json",
        "source_sha256": sha,
        "source_row": 0,
        "observed_at": at(2025, 7, 1, 23, 59, 59),
        "batch_seq": 2025070101,
    }
    assert first["owner_name_hash"] == pii_hash("Nguyễn Văn An", KEY)
    assert first["owner_id_hash"] == pii_hash("040095001234", KEY)
    assert first["phone_hash"] == pii_hash("0912345678", KEY)
    assert first["email_hash"] == pii_hash("an.nguyen@example.vn", KEY)
    assert first["address_hash"] is None  # the portal feed carries no address
    # the timestamp is 08:30:15 local, i.e. 01:30:15 UTC
    utc = parsed.frames["dossiers"].select(pl.col("received_at").dt.convert_time_zone("UTC")).item(0, 0)
    assert (utc.hour, utc.minute, utc.second) == (1, 30, 15)

    second = rows[1]
    assert second["dossier_code"] == "000.17.29.H40-250701-0002"  # trimmed
    assert (second["channel"], second["channel_raw"]) == (1, None)  # empty channel counts as in person
    assert (second["status"], second["applicant_type"]) == (4, 2)
    assert (second["received_at"], second["received_at_raw"]) == (None, "2025070")  # unparseable, raw kept
    assert second["owner_id_hash"] is None and second["owner_id_length"] is None
    assert (second["has_digitised_component"], second["vneid_verified"], second["paid_online"]) == (False, False, None)

    third = rows[2]
    assert (third["channel"], third["channel_raw"]) == (None, "9")  # unknown code -> null, raw kept
    assert (third["status"], third["status_raw"]) == (None, "11")
    assert third["applicant_type"] is None  # LoaiDoiTuong 7 unknown
    assert third["is_test"] is True
    assert third["owner_id_length"] == 9
    assert third["paid_online"] is False

    fourth = rows[3]  # a record without a dossier code, without most fields
    assert fourth["dossier_code"] is None and fourth["source_row"] == 3
    assert fourth["received_at"] == at(2025, 7, 1, 23, 59, 59)
    assert fourth["unit_name"] == "UBND Xã Anh Sơn"


def test_portal_children_counts_positions_and_values() -> None:
    frames = parse_rel("portal/hoso-20250701-01.json").frames
    key = ["dossier_code", "source_row", "position"]
    docs = frames["documents"]
    assert docs.select(key).rows() == [
        ("000.17.29.H40-250701-0001", 0, 0),
        ("000.17.29.H40-250701-0001", 0, 1),
        ("000.00.01.H40-250701-TEST1", 2, 0),
    ]
    child_columns = [c for c in CANONICAL_SCHEMAS["documents"] if c not in CANONICAL_SCHEMAS["dossiers"] and c != "position"]
    assert docs.select(child_columns).row(1, named=True) == {
        "file_id": "F2",
        "file_name": pii_hash("giay_chung_sinh.pdf", KEY),  # attachment names are pseudonymised (contract §3)
        "is_deleted": True,
        "component_code": "TP02",
        "is_digitised": False,
        "is_reused": True,
        "from_national_store": True,
        "replaced_by_result_code": "KQ-9",
        "has_file": True,  # the path itself is not carried
    }
    assert docs.row(2, named=True)["is_deleted"] is None
    assert docs["has_file"].to_list() == [True, True, False]  # "" -> False
    fees = frames["fees"]
    assert fees.select(*key, "fee_code", "amount").rows() == [
        ("000.17.29.H40-250701-0001", 0, 0, "LP01", Decimal("8000")),
        ("000.00.01.H40-250701-TEST1", 2, 0, "LP07", Decimal("150000")),
        ("000.00.01.H40-250701-TEST1", 2, 1, "LP08", None),  # "1.500.000" is not a plain amount
    ]
    results = frames["results"]
    assert results.select(*key, "document_name", "component_code", "document_id", "result_code",
                          "has_file_link").rows() == [
        ("000.17.29.H40-250701-0001", 0, 0, pii_hash("Giấy khai sinh", KEY), "KQ01", "G1", "GKS-2025-1", True)
    ]
    ids = frames["identities"]
    assert ids.select(*key, "id_type", "id_hash").rows() == [
        ("000.17.29.H40-250701-0001", 0, 0, "1", pii_hash("040095001234", KEY)),
        ("000.00.01.H40-250701-TEST1", 2, 0, "1", pii_hash("040095001", KEY)),
        ("000.00.01.H40-250701-TEST1", 2, 1, "2", None),
    ]
    assert frames["supplements"].select(*key, "requested_at", "resubmitted_at").rows() == [
        ("000.17.29.H40-250701-0001", 0, 0, at(2025, 7, 1, 15, 0, 0), at(2025, 7, 2, 8, 0, 0))
    ]
    assert frames["databases"].select(*key, "database_code", "database_name").rows() == [
        ("000.17.29.H40-250701-0001", 0, 0, "CSDLQGDC", "Cơ sở dữ liệu quốc gia về dân cư")
    ]
    for name in ("documents", "fees", "results", "identities", "supplements", "databases"):
        df = frames[name]
        assert df["source_file"].unique().to_list() == ["portal/hoso-20250701-01.json"]
        assert df["batch_seq"].unique().to_list() == [2025070101]


def _portal_file(tmp_path: Path, records: list[dict], name: str = "hoso-20250703-01.json") -> str:
    (tmp_path / "portal").mkdir(exist_ok=True)
    (tmp_path / "portal" / name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return f"portal/{name}"


def test_portal_file_flags_supplements_and_databases(tmp_path: Path) -> None:
    """The four fields the indicators of Decision 766 need: whether a document has a file and a result a file link
    (never the paths), the supplement requests' times (never their text), the connected national databases."""
    code = "000.17.29.H40-250703-0001"
    record = {
        "MaHoSo": code, "MaTTHC": "1.001234", "KenhThucHien": "2", "TrangThaiHoSo": "5",
        "NgayTiepNhan": "20250703080000",
        "TaiLieuNop": [
            {"TepDinhKemId": "D0", "DuongDanTaiTepTin": "/upload/hoso/2025/07/03/d0.pdf"},
            {"TepDinhKemId": "D1", "DuongDanTaiTepTin": ""},
            {"TepDinhKemId": "D2", "DuongDanTaiTepTin": " \t "},
            {"TepDinhKemId": "D3"},  # the path absent from the element
        ],
        "DanhSachGiayToKetQua": [
            {"GiayToId": "R0", "DuongDanTepTinKetQua": "/upload/ketqua/2025/07/03/r0.pdf"},
            {"GiayToId": "R1", "DuongDanTepTinKetQua": ""},
        ],
        "DanhSachHoSoBoSung": [
            {"NgayYeuCauBoSung": "20250703100000", "NoiDungYeuCau": "Bổ sung CCCD của ông Bùi Văn Khoa",
             "NgayNopBoSung": "20250704091500"},
            {"NgayYeuCauBoSung": " 20250705140000 ", "NoiDungYeuCau": "Bổ sung lần 2", "NgayNopBoSung": ""},
            {"NgayYeuCauBoSung": "05/07/2025", "NgayNopBoSung": "2025070"},  # unreadable dates -> NULL
        ],
        "DSKetNoiCSDL": [{"MaCSDL": " CSDLQGDC ", "TenCSDL": "CSDL quốc gia về dân cư"}],
    }
    other = {"MaHoSo": "000.17.29.H40-250703-0002", "DanhSachHoSoBoSung": [], "DSKetNoiCSDL": None}
    parsed = parse_rel(_portal_file(tmp_path, [record, other]), tmp_path)
    assert parsed.notes == []
    frames = parsed.frames
    key = ["dossier_code", "source_row", "position"]
    assert frames["documents"].select(*key, "file_id", "has_file").rows() == [
        (code, 0, 0, "D0", True), (code, 0, 1, "D1", False), (code, 0, 2, "D2", False), (code, 0, 3, "D3", False),
    ]
    assert frames["results"].select(*key, "document_id", "has_file_link").rows() == [
        (code, 0, 0, "R0", True), (code, 0, 1, "R1", False),
    ]
    assert frames["supplements"].drop("source_format", "source_file", "source_sha256", "observed_at").rows() == [
        (code, 0, at(2025, 7, 3, 10, 0, 0), at(2025, 7, 4, 9, 15, 0), 0, 2025070301),
        (code, 1, at(2025, 7, 5, 14, 0, 0), None, 0, 2025070301),
        (code, 2, None, None, 0, 2025070301),
    ]
    assert frames["supplements"].columns == ["dossier_code", "position", "requested_at", "resubmitted_at",
                                             *CANONICAL_SCHEMAS["dossiers"].names()[-6:]]
    assert frames["databases"].select(*key, "database_code", "database_name").rows() == [
        (code, 0, 0, "CSDLQGDC", "CSDL quốc gia về dân cư"),
    ]
    # neither a path, a link nor a request's text reaches any frame
    for name, df in frames.items():
        text = " ".join(str(v) for row in df.rows() for v in row)
        for secret in ("/upload/", "Bùi Văn Khoa", "Bổ sung", "05/07/2025"):
            assert secret not in text, (name, secret)


def test_portal_history() -> None:
    parsed = parse_rel("portal/xuly-20250701-01.json")
    assert set(parsed.frames) == {"processing_steps"}
    steps = parsed.frames["processing_steps"]
    assert steps.drop("source_sha256", "observed_at", "source_format", "source_file").to_dicts() == [
        {
            "dossier_code": "000.17.29.H40-250701-0001",
            "handler_hash": pii_hash("Trần Thị Bình", KEY),
            "handler_title": "Công chức tư pháp - hộ tịch",
            "handled_at": at(2025, 7, 1, 9, 0, 0),
            "department": "Bộ phận một cửa",
            "action": pii_hash("Tiếp nhận hồ sơ", KEY),
            "status": "2",
            "started_at": at(2025, 7, 1, 8, 30, 15),
            "deadline_at": at(2025, 7, 3, 17, 0, 0),
            "source_row": 0,
            "batch_seq": 2025070101,
        },
        {
            "dossier_code": "000.17.29.H40-250701-0001",
            "handler_hash": pii_hash("Hoàng Văn Giang", KEY),
            "handler_title": "Phó Chủ tịch",
            "handled_at": at(2025, 7, 2, 9, 30, 0),
            "department": "Lãnh đạo UBND",
            "action": pii_hash("Ký duyệt", KEY),
            "status": "9",
            "started_at": at(2025, 7, 1, 9, 0, 0),
            "deadline_at": None,
            "source_row": 1,
            "batch_seq": 2025070101,
        },
    ]


PORTAL_DATE_CASES = [  # NgayTiepNhan as sent -> (received_at, received_at_raw)
    ("20250703080000", at(2025, 7, 3, 8, 0, 0), "20250703080000"),
    ("  20250703080000\t", at(2025, 7, 3, 8, 0, 0), "  20250703080000\t"),  # read trimmed, kept as sent
    ("20250732080000", None, "[number]"),  # 14 digits, no such day: a run of digits, scrubbed
    ("03/07/2025 08:00:00", None, "03/07/2025 08:00:00"),
    ("2025070308000", None, "[number]"),  # 13 digits
    ("0912345678", None, "[number]"),  # a misplaced phone number: scrubbed
    ("ban.a@example.vn", None, "[email]"),
    ("", None, None),
    ("   ", None, None),
]


def test_portal_dates_are_read_and_kept_as_sent_or_scrubbed(tmp_path: Path) -> None:
    """Each date of a portal record gives a timestamp (only from 14 digits that make a time) and the value as sent
    (NULL when empty; scrubbed like free text when it did not parse)."""
    records = [{"MaHoSo": f"000.17.29.H40-250703-{i:04d}", "NgayTiepNhan": sent, "NgayHenTra": sent}
               for i, (sent, _, _) in enumerate(PORTAL_DATE_CASES)]
    records.append({"MaHoSo": "000.17.29.H40-250703-9999"})  # absent
    dossiers = parse_rel(_portal_file(tmp_path, records), tmp_path).frames["dossiers"]
    expected_at = [ts for _, ts, _ in PORTAL_DATE_CASES] + [None]
    expected_raw = [raw for _, _, raw in PORTAL_DATE_CASES] + [None]
    assert dossiers["received_at"].to_list() == dossiers["due_at"].to_list() == expected_at
    assert dossiers["received_at_raw"].to_list() == dossiers["due_at_raw"].to_list() == expected_raw
    assert dossiers["submitted_at"].null_count() == dossiers["submitted_at_raw"].null_count() == len(records)


def test_portal_empty_array_gives_empty_frames(tmp_path: Path) -> None:
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "hoso-20250703-01.json").write_text("[]\n")
    parsed = parse_rel("portal/hoso-20250703-01.json", tmp_path)
    for name, df in parsed.frames.items():
        assert df.height == 0 and df.schema == CANONICAL_SCHEMAS[name]


def test_source_row_is_the_position_in_the_array(tmp_path: Path) -> None:
    codes = [f"000.17.29.H40-250701-{i:05d}" for i in range(3000)]
    records = ",".join(f'{{"MaHoSo":"{c}","KenhThucHien":"{i % 3 + 1}","TaiLieuNop":[{{"TepDinhKemId":"{i}"}}]}}'
                       for i, c in enumerate(codes))  # fmt: skip
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "hoso-20250703-01.json").write_text(f"[{records}]")
    frames = parse_rel("portal/hoso-20250703-01.json", tmp_path).frames
    assert frames["dossiers"]["dossier_code"].to_list() == codes
    assert frames["dossiers"]["source_row"].to_list() == list(range(3000))
    docs = frames["documents"]
    assert docs["file_id"].to_list() == [str(i) for i in range(3000)] == docs["source_row"].cast(pl.String).to_list()


def test_pii_key_changes_hashes_and_is_required() -> None:
    source = sources_by_path()["portal/hoso-20250701-01.json"]
    a = parse(source, LANDING, "key-a").frames["dossiers"]["owner_name_hash"]
    b = parse(source, LANDING, "key-b").frames["dossiers"]["owner_name_hash"]
    assert a[0] != b[0]
    with pytest.raises(ValueError):
        parse(source, LANDING, "")


# ---- provincial CSV and XLSX ------------------------------------------------------------------------------------


def test_provincial_csv_variant_a() -> None:
    parsed = parse_rel("provincial/17329-hoso-20250806.csv")
    assert parsed.notes == ["provincial/17329-hoso-20250806.csv: unknown column 'Ghi chú' ignored"]
    df = parsed.frames["dossiers"]
    assert df.height == 4  # the two blank trailing rows are skipped
    first = df.row(0, named=True)
    assert {k: first[k] for k in (
        "dossier_code", "procedure_code", "procedure_name", "field_code", "field_name", "unit_name", "channel",
        "channel_raw", "status", "status_raw", "applicant_type", "submitted_at", "received_at", "due_at",
        "processed_at", "returned_at", "refused_at", "received_at_raw", "due_at_raw", "owner_name_hash",
        "address_hash", "phone_hash", "owner_id_hash", "is_test", "source_format", "source_row", "observed_at",
        "batch_seq",
    )} == {
        "dossier_code": "000.17.29.H40-250804-0007",
        "procedure_code": "1.001234",
        "procedure_name": "Đăng ký khai sinh",
        "field_code": None,
        "field_name": "Hộ tịch",
        "unit_name": "UBND Xã Anh Sơn",
        "channel": 2,
        "channel_raw": "Nộp trực tuyến",
        "status": 10,
        "status_raw": "Đã trả kết quả",
        "applicant_type": None,
        "submitted_at": at(2025, 8, 4, 7, 55),
        "received_at": at(2025, 8, 4, 8, 0),
        "due_at": at(2025, 8, 6),  # dd/MM/yyyy without time: midnight local
        "processed_at": at(2025, 8, 5, 15, 30),
        "returned_at": at(2025, 8, 6, 9, 15),
        "refused_at": None,
        "received_at_raw": "04/08/2025 08:00:00",
        "due_at_raw": "06/08/2025",
        "owner_name_hash": pii_hash("Đặng Thị Hoa", KEY),
        "address_hash": pii_hash("Xóm 3, Xã Anh Sơn", KEY),
        "phone_hash": None,  # variant A has no phone column
        "owner_id_hash": None,
        "is_test": False,
        "source_format": "provincial_csv",
        "source_row": 0,
        "observed_at": at(2025, 8, 6, 16),
        "batch_seq": 2025080600,
    }  # fmt: skip
    assert df.select("channel", "channel_raw", "status", "status_raw", "received_at").rows() == [
        (2, "Nộp trực tuyến", 10, "Đã trả kết quả", at(2025, 8, 4, 8)),
        (1, None, 4, "Đang xử lý", at(2025, 8, 5)),  # empty channel -> 1; date without time
        (3, "Qua bưu chính công ích", 5, "chờ  BỔ SUNG", None),  # label matched case/space-insensitively; 31/02
        (None, "Fax", None, "Tạm dừng", at(2025, 8, 5, 10)),  # unknown labels -> null, raw kept
    ]
    assert df["source_row"].to_list() == [0, 1, 2, 3]


def test_provincial_xlsx_variant_b_with_title_block(landing: Path) -> None:
    parsed = parse_rel("provincial/17329-hoso-20250805.xlsx", landing)
    assert parsed.notes == []
    df = parsed.frames["dossiers"]
    assert df.schema == CANONICAL_SCHEMAS["dossiers"]
    assert df.select(
        "dossier_code", "procedure_code", "unit_name", "channel", "status", "received_at", "due_at",
        "processed_at", "returned_at", "received_at_raw", "source_row",
    ).rows() == [
        ("000.17.29.H40-250803-0004", "1.004884", "Xã Anh Sơn", 2, 10, at(2025, 8, 3, 9, 5), at(2025, 8, 5),
         at(2025, 8, 4, 16), at(2025, 8, 5, 10, 20), "03/08/2025 09:05:00", 0),
        ("000.17.29.H40-250804-0011", "2000815", "Xã Anh Sơn", 1, 4, at(2025, 8, 4), None, None, None,
         "04/08/2025", 1),
        ("000.17.29.H40-250804-0012", "2.000815", "Xã Anh Sơn", 1, 2, at(2025, 8, 4, 14, 30), None, None, None,
         "04/08/2025 14:30:00", 2),
    ]  # fmt: skip
    first = df.row(0, named=True)
    assert first["owner_name_hash"] == pii_hash("Ngô Thị Lan", KEY)
    assert first["phone_hash"] == pii_hash("0911222333", KEY)
    assert first["address_hash"] is None  # variant B has no address
    assert first["source_format"] == "provincial_xlsx"
    assert first["observed_at"] == at(2025, 8, 5, 16)


def test_provincial_xlsx_unknown_header_is_a_note(tmp_path: Path) -> None:
    header = [*VARIANT_B, "Ghi chú"]
    rows = [[1, "000.17.29.H40-250803-0004", "T", "1.0", "L", "Xã Anh Sơn", "Đang xử lý", None, None,
             "03/08/2025", None, None, None, "Trực tiếp", "x"]]  # fmt: skip
    path = write_xlsx(tmp_path / "provincial" / "17329-hoso-20250805.xlsx", header, rows)
    parsed = parse(source_for(path, tmp_path), tmp_path, KEY)
    assert parsed.notes == ["provincial/17329-hoso-20250805.xlsx: unknown column 'Ghi chú' ignored"]
    assert parsed.frames["dossiers"].height == 1


def test_provincial_csv_header_only_is_zero_rows(tmp_path: Path) -> None:
    header = (LANDING / "provincial" / "17329-hoso-20250806.csv").read_text("utf-8-sig").splitlines()[0]
    (tmp_path / "provincial").mkdir()
    (tmp_path / "provincial" / "17329-hoso-20250807.csv").write_text("\ufeff" + header + "\n", "utf-8")
    df = parse_rel("provincial/17329-hoso-20250807.csv", tmp_path).frames["dossiers"]
    assert df.height == 0 and df.schema == CANONICAL_SCHEMAS["dossiers"]


def test_provincial_csv_codes_stay_strings(tmp_path: Path) -> None:
    (tmp_path / "provincial").mkdir()
    (tmp_path / "provincial" / "17329-hoso-20250807.csv").write_text(
        "\ufeffMã hồ sơ,Tên thủ tục,Mã thủ tục,Đơn vị tiếp nhận,Trạng thái,Ngày nhận,Kênh nộp\n"
        "007,T,0001.10,UBND Xã Anh Sơn,Đang xử lý,01/07/2025,BCCI\n",
        "utf-8",
    )
    row = parse_rel("provincial/17329-hoso-20250807.csv", tmp_path).frames["dossiers"].row(0, named=True)
    assert (row["dossier_code"], row["procedure_code"], row["channel"]) == ("007", "0001.10", 3)


# ---- tasks and reference ----------------------------------------------------------------------------------------


def test_task_exports() -> None:
    commune = parse_rel("tasks/nq57-xa-20250806.csv").frames["commune_tasks"]
    assert commune.drop("source_sha256", "observed_at", "source_file").rows() == [
        (date(2025, 8, 6), "17329", "Xã Anh Sơn", "NV01", "Niêm yết thủ tục hành chính", True, date(2025, 8, 5),
         "tasks_csv", 0, 2025080600),
        (date(2025, 8, 6), "17329", "Xã Anh Sơn", "NV02", "Số hóa kết quả giải quyết", False, date(2025, 8, 6),
         "tasks_csv", 1, 2025080600),
    ]  # fmt: skip
    province = parse_rel("tasks/nhiem-vu-tinh-20250806.csv").frames["province_tasks"]
    assert province.select("task_code", "deadline", "status_label", "is_done", "done_on", "snapshot_date").rows() == [
        ("T01", date(2025, 7, 31), "Hoàn thành", True, date(2025, 7, 21), date(2025, 8, 6)),
        ("T02", date(2025, 9, 30), "Đang thực hiện", False, None, date(2025, 8, 6)),
    ]
    snapshot = parse_rel("tasks/xep-hang-tinh.csv").frames["province_snapshot"]
    assert snapshot.select("snapshot_date", "province_code", "online_ratio_pct", "commune_task_pct").rows() == [
        (date(2025, 7, 22), "40", Decimal("70.10"), Decimal("88.50")),
        (date(2025, 8, 6), "40", Decimal("72.35"), Decimal("95.77")),
        (date(2025, 8, 6), "01", Decimal("81.02"), Decimal("100.00")),  # "01" stays a string
    ]
    assert snapshot["observed_at"].null_count() == 3 and snapshot["batch_seq"].null_count() == 3


def test_task_unreadable_values_are_counted_in_notes(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "nq57-xa-20250722.csv").write_text(
        "\ufeffMã xã,Tên xã,Mã nhiệm vụ,Tên nhiệm vụ,Trạng thái,Ngày cập nhật\n"
        "17329,Xã Anh Sơn,NV01,A,Hoàn thành,2025-07-22\n17329,Xã Anh Sơn,NV02,B,Không rõ,22/07/2025\n",
        "utf-8",
    )
    parsed = parse_rel("tasks/nq57-xa-20250722.csv", tmp_path)
    assert parsed.notes == [
        "tasks/nq57-xa-20250722.csv: 1 row(s) with an unreadable 'Trạng thái' (kept as null)",
        "tasks/nq57-xa-20250722.csv: 1 row(s) with an unreadable 'Ngày cập nhật' (kept as null)",
    ]
    assert parsed.frames["commune_tasks"].select("is_done", "updated_on").rows() == [
        (True, None),
        (None, date(2025, 7, 22)),
    ]


def test_reference_tables() -> None:
    units = parse_rel("reference/units.csv").frames["units"]
    assert units.drop(c for c in units.columns if c.startswith(("source", "observed", "batch"))).rows() == [
        ("17329", "Xã Anh Sơn", "commune", "xã", "000.17.29.H40", "40", "Tỉnh Nghệ An"),
        ("40S01", "Sở Xây dựng", "province", "sở", "000.00.01.H40", "40", "Tỉnh Nghệ An"),
    ]
    assert units["source_format"].to_list() == ["reference_csv"] * 2
    procedures = parse_rel("reference/procedures.csv").frames["procedures"]
    assert procedures.select("procedure_code", "muc_do", "boundary_free", "boundary_free_status", "owner_unit_code").rows() == [
        ("1.001234", 4, True, "approved", None),
        ("2.000555", 3, False, None, "40S01"),
    ]
    figures = parse_rel("reference/published_figures.csv").frames["published_figures"]
    assert figures.select("figure_id", "report_ref", "value", "unit", "as_of").rows() == [
        ("P1_ratio", "P1", 72.35, "percent", at(2025, 8, 6, 16)),
        ("P9_lookups", "P9", 1128038.0, "count", at(2025, 8, 6, 16)),
    ]


# ---- schemas and personal data over every parser ----------------------------------------------------------------


def all_parsed(landing: Path) -> list[tuple[SourceFile, Parsed]]:
    return [(s, parse(s, landing, KEY)) for s in discover(landing) if s.kind in KINDS]


def test_every_parser_returns_the_canonical_schemas(landing: Path) -> None:
    seen = set()  # (kind, frame) pairs parsed with at least one row
    for source, parsed in all_parsed(landing):
        assert list(parsed.frames) == list(KINDS[source.kind].frames), source.relpath
        for name, df in parsed.frames.items():
            assert df.schema == CANONICAL_SCHEMAS[name], (source.relpath, name)
            if df.height:
                assert df["source_file"].unique().to_list() == [source.relpath]
                assert df["source_sha256"].unique().to_list() == [source.sha256]
                seen.add((source.kind, name))
    assert {kind for kind, _ in seen} == set(KINDS)
    assert {name for _, name in seen} == set(CANONICAL_SCHEMAS)


def test_personal_values_never_reach_a_frame(landing: Path) -> None:
    hits = []
    for source, parsed in all_parsed(landing):
        assert not any(v in note for note in parsed.notes for v in PERSONAL_VALUES)
        for name, df in parsed.frames.items():
            text = df.select(pl.all().cast(pl.String))
            for column in text.columns:
                values = set(text[column].drop_nulls().to_list())
                for personal in PERSONAL_VALUES:
                    if any(personal in v for v in values):
                        hits.append((source.relpath, name, column, personal))
    assert hits == []
    # ... while the hashes of those values are there
    dossiers = pl.concat([p.frames["dossiers"] for s, p in all_parsed(landing) if "dossiers" in p.frames])
    assert pii_hash("Ngô Thị Lan", KEY) in dossiers["owner_name_hash"].to_list()
    assert pii_hash("Đặng Thị Hoa", KEY) in dossiers["owner_name_hash"].to_list()


# ---- labels and keyed hashes ------------------------------------------------------------------------------------


def test_label_normalisation() -> None:
    assert normalise("  Nộp   TRỰC\ttuyến ") == "nộp trực tuyến"
    assert normalise("Tra\u0323\u0302m") == normalise("Trậm")  # NFD input matches NFC
    assert set(CHANNEL_LABELS.values()) == {1, 2, 3} and set(STATUS_LABELS.values()) == set(range(1, 11))
    # each label names one code; the canonical label of every code is one of its labels
    for domain, table in (("channel", CHANNEL_LABELS), ("status", STATUS_LABELS)):
        assert all(table[c.label_vi] == c.code for c in CODES[domain])
        assert len({c.code for c in CODES[domain]}) == len(CODES[domain])


def test_unit_name_key() -> None:
    names = ["UBND Xã Anh Sơn", "ubnd  xã  ANH SƠN ", "Phường Vinh Phú", "Sở Khoa học và Công nghệ", "Xa\u0303 Nam Đàn", None]
    keys = pl.select(unit_name_key_expr(pl.Series("n", names, dtype=pl.String))).to_series().to_list()
    assert keys == ["xã anh sơn", "xã anh sơn", "phường vinh phú", "sở khoa học và công nghệ", "xã nam đàn", None]


@pytest.mark.parametrize("value", ["Nguyễn Văn An", " 040095001234 ", "a|b", "\tx\n", "", "   ", None])
def test_pii_hash_is_the_same_in_python_duckdb_and_polars(value: str | None) -> None:
    expected = None if value is None or not value.strip() else hashlib.sha256(f"{KEY}|{value.strip()}".encode()).hexdigest()
    assert pii_hash(value, KEY) == expected
    con = connect()
    assert con.execute(f"SELECT {pii_hash_sql('$v')}", {"v": value, "pii_key": KEY}).fetchone()[0] == expected
    df = pl.DataFrame({"v": [value, "other"]}, schema={"v": pl.String})
    assert df.select(pii_hash_expr("v", KEY)).to_series().to_list() == [expected, pii_hash("other", KEY)]


TRIM_CASES = ["ab", " ab", "ab ", "\tab", "ab\n", "\r\nab\t ", "a b", "a\tb", "a\nb", " ", "\r", " \t\r\n ", "",
              "\u00a0ab\u00a0", " \u00a0 ", "Nguyễn Văn An ", "ễ", " ễ", "x" * 300 + " ", None]


def test_trim_sql_trims_exactly_the_whitespace_of_the_ends() -> None:
    """trim_sql calls trim() only for a value that starts or ends with labels.WHITESPACE: the result is the Python
    strip of those characters, "" -> NULL, for values with them at an end, inside, or only other spaces."""
    expected = [None if v is None else (v.strip(WHITESPACE) or None) for v in TRIM_CASES]
    got = [r[0] for r in connect().execute(
        f"SELECT {trim_sql('v')} FROM unnest($values::VARCHAR[]) WITH ORDINALITY t(v, i) ORDER BY i",
        {"values": TRIM_CASES}).fetchall()]
    assert got == expected


def test_pii_hash_expr_on_many_values_matches_row_by_row() -> None:
    values = [f"0{9_000_000_00 + i}" if i % 7 else None for i in range(20_000)]
    got = pl.DataFrame({"v": values}).select(pii_hash_expr("v", KEY)).to_series().to_list()
    assert got == [pii_hash(v, KEY) for v in values]


# ---- bad input --------------------------------------------------------------------------------------------------


def refused(tmp_path: Path, relpath: str, content: bytes) -> SourceError:
    path = tmp_path / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        parse(source_for(path, tmp_path), tmp_path, KEY)
    error = caught.value
    assert error.file == relpath
    assert str(error).startswith(f"{relpath}: ")
    assert "\n" not in str(error)
    assert str(tmp_path) not in str(error)  # no absolute paths, only the landing-relative one
    return error


GOOD_JSON = (LANDING / "portal" / "hoso-20250701-01.json").read_bytes()


@pytest.mark.parametrize(
    "content, expected",
    [
        (GOOD_JSON[: len(GOOD_JSON) // 2], "not valid JSON (truncated or corrupt)"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        (b"", "empty file (0 bytes)"),
        (b"  \n\t ", "empty file (only whitespace)"),
        (b'{"MaHoSo": "000.17.29.H40-250701-0001"}', "not a JSON array: the top level is an object"),
        (b'"just a string"', "not a JSON array"),
        (b'["000.17.29.H40-250701-0001", "x"]', "does not have the portal shape"),
        (b'[{"MaHoSo": "a", "TaiLieuNop": "Nguyen Van Secret"}]', "does not have the portal shape"),
        ('[{"MaHoSo": "Nguy\u1ec5n"}]'.encode("utf-8").replace(b"\xe1\xbb\x85", b"\xe9"), "not valid JSON"),
        ('[{"MaHoSo": "x"}]'.encode("utf-16"), "not UTF-8 text: UTF-16"),
    ],
    ids=[
        "truncated", "html", "empty", "whitespace", "object", "string", "array-of-strings", "list-as-string",
        "latin1", "utf16",
    ],  # fmt: skip
)
def test_bad_portal_json_is_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    error = refused(tmp_path, "portal/hoso-20250701-01.json", content)
    assert expected in str(error)
    assert "Secret" not in str(error)  # DuckDB quotes offending values; the message must not carry them


def test_bad_history_json_is_refused(tmp_path: Path) -> None:
    assert "empty file" in str(refused(tmp_path, "portal/xuly-20250701-01.json", b""))


def test_csv_not_utf8_is_refused(tmp_path: Path) -> None:
    text = "Mã hồ sơ,Tên thủ tục,Mã thủ tục,Đơn vị tiếp nhận,Trạng thái,Ngày nhận,Kênh nộp\n1,T,C,U,S,01/07/2025,X\n"
    error = refused(tmp_path, "provincial/17329-hoso-20250806.csv", text.encode("utf-16"))
    assert "not UTF-8 text: UTF-16" in str(error)
    error = refused(tmp_path, "provincial/17329-hoso-20250807.csv", text.encode("utf-16-le"))  # no BOM
    assert "not UTF-8 text" in str(error)
    latin = text.replace("Trạng thái", "Trang thai").replace("Mã hồ sơ", "Mã hô so").encode("latin-1", errors="replace")
    error = refused(tmp_path, "provincial/17329-hoso-20250808.csv", latin)  # non-UTF-8 bytes only in the header
    assert str(error) == (
        "provincial/17329-hoso-20250808.csv: not UTF-8 text (the exports are UTF-8 with a BOM; "
        "re-save the file as CSV UTF-8)"
    )
    data_only = "\ufeffMã hồ sơ,Tên thủ tục\n".encode() + "1,Nguyễn\n".encode("cp1258", errors="replace") + b"2,\xe9\n"
    assert "not UTF-8 text" in str(refused(tmp_path, "provincial/17329-hoso-20250809.csv", data_only))


def test_csv_empty_is_refused(tmp_path: Path) -> None:
    assert "empty file (0 bytes)" in str(refused(tmp_path, "provincial/17329-hoso-20250806.csv", b""))
    assert "empty file" in str(refused(tmp_path, "tasks/nq57-xa-20250806.csv", b""))


def test_csv_missing_required_column_is_refused(tmp_path: Path) -> None:
    header = "STT,Tên thủ tục hành chính,Mã thủ tục,Đơn vị tiếp nhận,Trạng thái,Ngày tiếp nhận,Hình thức nộp\n"
    error = refused(tmp_path, "provincial/17329-hoso-20250806.csv", ("\ufeff" + header + "1,T,C,U,S,D,K\n").encode())
    assert str(error) == (
        "provincial/17329-hoso-20250806.csv: missing required column 'Mã hồ sơ' (dossier_code, or 'Số hồ sơ'); "
        "found: 'STT', 'Tên thủ tục hành chính', 'Mã thủ tục', 'Đơn vị tiếp nhận', 'Trạng thái', 'Ngày tiếp nhận', "
        "'Hình thức nộp'"
    )
    error = refused(tmp_path, "tasks/nq57-xa-20250806.csv", "\ufeffMã xã,Tên xã\n17329,X\n".encode())
    assert "missing required columns 'Mã nhiệm vụ' (task_code)" in str(error)
    error = refused(tmp_path, "reference/units.csv", b"unit_code,unit_name\n1,a\n")
    assert "missing required columns 'level' (level)" in str(error)


def test_xlsx_bad_input_is_refused(tmp_path: Path) -> None:
    assert "not a readable XLSX" in str(refused(tmp_path, "provincial/17329-hoso-20250806.xlsx", "STT,Mã hồ sơ\n".encode()))
    assert "empty file" in str(refused(tmp_path, "provincial/17329-hoso-20250807.xlsx", b""))
    path = write_xlsx(tmp_path / "provincial" / "17329-hoso-20250808.xlsx", ["Số TT", "Mã", "Tên"], [[1, "a", "b"]])
    with pytest.raises(SourceError, match="no header row"):
        parse(source_for(path, tmp_path), tmp_path, KEY)
    header = [h for h in VARIANT_B if h != "Kênh nộp"]
    path = write_xlsx(tmp_path / "provincial" / "17329-hoso-20250809.xlsx", header, [[1, "a"]])
    with pytest.raises(SourceError, match=r"missing required column 'Hình thức nộp' \(channel"):
        parse(source_for(path, tmp_path), tmp_path, KEY)


def test_registry_names_suites_and_tables_that_exist() -> None:
    """Every suite and target table the registry names exists, and every suite file belongs to a frame."""
    suites = {spec.suite for spec in FRAMES.values() if spec.suite}
    assert suites == set(suite_names())
    con = duckdb.connect()
    apply_schema(con)
    tables = {f"{s}.{t}" for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
    assert {spec.table for spec in FRAMES.values()} <= tables
    assert {f for kind in KINDS.values() for f in kind.frames} == set(FRAMES) == set(CANONICAL_SCHEMAS)
    assert REFERENCE_KINDS == ("units", "procedures", "published_figures")


def test_manifest_and_unknown_files_are_not_parsed() -> None:
    by = sources_by_path()
    for name in ("manifest.json", "README.txt"):
        with pytest.raises(SourceError) as caught:
            parse(by[name], LANDING, KEY)
        assert caught.value.file == name


def test_source_error_is_one_line_and_picklable() -> None:
    error = SourceError("portal/x.json", "bad\nthing  here")
    assert str(error) == "portal/x.json: bad thing here"
    again = pickle.loads(pickle.dumps(error))
    assert (again.file, str(again)) == (error.file, str(error))


def test_discover_hash_cache_reads_a_file_again_only_when_it_changed(tmp_path: Path, monkeypatch) -> None:
    import importlib
    import os
    import time

    d = importlib.import_module("sources.discover")  # the module (the package exports its function by that name)

    landing = tmp_path / "landing"
    (landing / "portal").mkdir(parents=True)
    f = landing / "portal" / "hoso-20250701-01.json"
    f.write_bytes(b"[]")
    cache = tmp_path / "sha256-cache.json"
    read: list[str] = []
    real = d.sha256_file
    monkeypatch.setattr(d, "sha256_file", lambda p: read.append(p.name) or real(p))
    monkeypatch.setattr(d, "RACY_SECONDS", 0.0)

    first = discover(landing, hash_cache=cache)[0]
    assert read == [f.name] and cache.is_file()
    assert discover(landing, hash_cache=cache)[0] == first and read == [f.name]  # stat unchanged: not read
    # Same size, mtime put back: ctime still moves, so the new bytes are hashed.
    st = f.stat()
    time.sleep(0.05)
    f.write_bytes(b"{}")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    changed = discover(landing, hash_cache=cache)[0]
    assert read == [f.name, f.name] and changed.sha256 == hashlib.sha256(b"{}").hexdigest() != first.sha256
    cache.write_text("{torn", encoding="utf-8")  # a torn cache: everything is hashed again
    assert discover(landing, hash_cache=cache)[0].sha256 == changed.sha256 and len(read) == 3
    # A file changed just now is not cached (it could change again within the same clock tick).
    monkeypatch.setattr(d, "RACY_SECONDS", 3600.0)
    f.write_bytes(b"[1]")
    discover(landing, hash_cache=cache)
    discover(landing, hash_cache=cache)
    assert len(read) == 5
