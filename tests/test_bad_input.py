"""The bad-input test set (issue "Validation"): every kind of broken export, run through the whole pipeline.

ONE landing folder holds the handcrafted reference files, ONE valid portal batch, and every bad file of the table
below (distinct names: batch numbers and dates), plus a few hostile entries (a link out of the folder, a FIFO,
names with shell characters or a line break). The pipeline runs once over it (`run_pipeline`, as
tests/test_pipeline.py does, on a temporary warehouse); each case then asserts, from that run's warehouse, the
file's `meta.files` outcome and reason, or the exact quarantine reasons of its records, or what was loaded. Every
test also relies on the run going on: the valid batch loads, and nothing is lost (records_read = records_loaded +
records_quarantined for every loaded file).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pytest
from dagster import DagsterInstance

from cli.run import run_pipeline
from assets.settings import Settings
from cp1258 import cp1258

FIXTURES = Path(__file__).parent / "fixtures_sources" / "landing"
TEMPLATE = json.loads((FIXTURES / "portal" / "hoso-20250701-01.json").read_text(encoding="utf-8"))[0]

# ---- building the files ---------------------------------------------------------------------------------------


def dossier(code: str, **fields: object) -> dict:
    """A clean portal record (units and procedures of the fixture reference files), with `fields` replaced."""
    record = json.loads(json.dumps(TEMPLATE))
    record.update(
        MaHoSo=code, MaTTHC="1.001234", TenTTHC="Đăng ký khai sinh", DonViXuLy="Xã Anh Sơn", KenhThucHien="2",
        TrangThaiHoSo="10", NgayNopHoSo="20250710080000", NgayTiepNhan="20250710083000", NgayHenTra="20250712170000",
        NgayKetThucXuLy="20250711090000", NgayTra="20250711100000", SoGiayToChuHoSo="040095009999",
        ChuHoSo="Trần Văn Thử", SoDienThoai="0900000000", Email="thu@example.vn", TrichYeuHoSo="Khai sinh",
    )  # fmt: skip
    record.update(fields)
    return record


def portal(*records: dict) -> bytes:
    return json.dumps(list(records), ensure_ascii=False, indent=1).encode("utf-8")


VALID_BATCH = "portal/hoso-20250710-01.json"
# Big enough that the bad records stay under the blocking check's 5% quarantined share (assets/validate.py): a run
# with a few bad rows among many good ones, as in life.
VALID_SIZE = 300


def valid_record(i: int) -> dict:
    if i % 3 == 2:  # a province-level agency, received, in person
        return dossier(f"000.00.01.H40-250710-{i:04d}", MaTTHC="2.000555", TenTTHC="Cấp giấy phép xây dựng",
                       DonViXuLy="Sở Xây dựng", KenhThucHien="1", TrangThaiHoSo="2", NgayKetThucXuLy="", NgayTra="")
    if i % 3 == 1:  # a commune, in progress, in person
        return dossier(f"000.17.29.H40-250710-{i:04d}", KenhThucHien="1", TrangThaiHoSo="4", NgayKetThucXuLy="",
                       NgayTra="", NgayTiepNhan="20250710090000")
    return dossier(f"000.17.29.H40-250710-{i:04d}")  # a commune, online, returned


VALID = portal(*(valid_record(i) for i in range(1, VALID_SIZE + 1)))
VALID_CODES = tuple(r["MaHoSo"] for r in json.loads(VALID))


VARIANT_A = ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Mã thủ tục", "Lĩnh vực", "Đơn vị tiếp nhận", "Trạng thái",
             "Chủ hồ sơ", "Địa chỉ", "Ngày nộp hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý",
             "Ngày trả kết quả", "Hình thức nộp"]  # fmt: skip


def row_a(code: str, **cells: str) -> dict:
    """A clean variant-A row (by header), with `cells` replaced (keys: header names with spaces as '_')."""
    row = dict(zip(VARIANT_A, [
        "1", code, "Đăng ký khai sinh", "1.001234", "Hộ tịch", "UBND Xã Anh Sơn", "Đã trả kết quả", "Lê Thị Mẫu",
        "Xóm 1, Xã Anh Sơn", "01/08/2025 07:50:00", "01/08/2025 08:00:00", "04/08/2025", "02/08/2025 15:00:00",
        "03/08/2025 09:00:00", "Trực tuyến",
    ]))  # fmt: skip
    row.update({k.replace("_", " "): v for k, v in cells.items()})
    return row


def provincial(*rows: dict, header: list[str] = VARIANT_A, bom: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return ("\ufeff" if bom else "") + out.getvalue()


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


VARIANT_B = ["STT", "Số hồ sơ", "Tên thủ tục", "Mã TTHC", "Lĩnh vực", "Đơn vị xử lý", "Tình trạng", "Người nộp",
             "Số điện thoại", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Ngày trả", "Kênh nộp"]  # fmt: skip
XLSX_ROWS = [
    [1, "000.17.29.H40-250820-0001", "Đăng ký khai sinh", "1.001234", "Hộ tịch", "Xã Anh Sơn", "Đã trả kết quả",
     "Ngô Thị Mẫu", "0911000111", "20/08/2025 08:00:00", "22/08/2025", "21/08/2025 16:00:00", "22/08/2025 10:00:00",
     "Trực tuyến"],
    [2, "000.17.29.H40-250820-0002", "Đăng ký khai sinh", "1.001234", "Hộ tịch", "Xã Anh Sơn", "Đang xử lý",
     None, None, "20/08/2025", None, None, None, "Trực tiếp"],
]  # fmt: skip


def xlsx(header: list[str] | None = VARIANT_B, rows: list[list] = XLSX_ROWS, title: bool = True) -> bytes:
    """A variant-B workbook; with `title`, the merged title block of contract §2.2 above the header."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(["DANH SÁCH HỒ SƠ"])
        ws.merge_cells("A1:N1")
        ws.append(["Từ ngày 01/07/2025 đến ngày 06/08/2025"])
        ws.merge_cells("A2:N2")
        ws.append(["Xã Anh Sơn"])
        ws.append([])
    if header:
        ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_bomb() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx())) as good, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in good.infolist():
            data = good.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                data = head + b"<row><c><v>0</v></c></row>" * 3_000_000 + b"</sheetData>" + tail  # ~80 MB
            bomb.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
HTML = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>\n"
FORMULA = '=HYPERLINK("http://x","y")'
LONG_NAME = "Thủ tục " + "x" * 100_000
SCRIPT = '<script>alert("x")</script>'

# ---- what each case expects ---------------------------------------------------------------------------------------


@dataclass
class Expect:
    outcome: str  # meta.files outcome: loaded | rejected | duplicate_file
    reason: str | None = None  # rejected: a part of the one-line reason (which starts with the file's relpath)
    quarantine: tuple[str, ...] = ()  # loaded: the `reasons` of its quarantined records, in source_row order
    read: int | None = None  # loaded: records_read
    warned: int = 0
    check: Callable[[World], None] | None = None  # anything else, on the run's warehouse


def rejected(reason: str) -> Expect:
    return Expect("rejected", reason=reason)


def quarantined(*reasons: str, read: int | None = None) -> Expect:
    return Expect("loaded", quarantine=reasons, read=len(reasons) if read is None else read)


def loaded(read: int, warned: int = 0, check: Callable | None = None) -> Expect:
    return Expect("loaded", read=read, warned=warned, check=check)


def duplicate() -> Expect:
    return Expect("duplicate_file", reason="the same bytes as portal/hoso-20250710-01.json (same sha256), already loaded")


@dataclass
class World:
    """What one pipeline run left in the warehouse, read once."""

    files: dict[str, dict]
    quarantine: dict[str, list[dict]]
    observations: dict[str, list[dict]]  # by source_file
    dossiers: dict[str, dict]  # core.dossiers by dossier_code
    out_dir: Path
    ok: bool = True


def observation(world: World, relpath: str, code: str) -> dict:
    rows = [r for r in world.observations.get(relpath, []) if r["dossier_code"] == code]
    assert len(rows) == 1, (relpath, code, rows)
    return rows[0]


def stored(relpath: str, code: str, column: str, value: object) -> Callable[[World], None]:
    def check(world: World) -> None:
        assert observation(world, relpath, code)[column] == value

    return check


def winner(code: str, status: int, source_row: int) -> Callable[[World], None]:
    def check(world: World) -> None:
        current = world.dossiers[code]
        assert (current["status"], current["source_row"]) == (status, source_row)
        assert current["observations"] == 2

    return check


def noted(relpath: str, text: str) -> Callable[[World], None]:
    """The parser's note about the file (notes live in the staged file's record, not in the warehouse: the parse is
    repeated here to see it)."""

    def check(world: World) -> None:
        from sources import discover, parse

        landing = world.out_dir / "landing"
        source = next(s for s in discover(landing) if s.relpath == relpath)
        notes = parse(source, landing, "test-key").notes
        assert any(text in n and n.startswith(relpath + ": ") for n in notes), notes

    return check


def all_of(*checks: Callable[[World], None]) -> Callable[[World], None]:
    def check(world: World) -> None:
        for c in checks:
            c(world)

    return check


DUP = "000.17.29.H40-250713-0001"
P = "portal/hoso-"
C = "provincial/17329-hoso-"

# One line per case: id, relpath, content (bytes, or a callable giving them), expectation.
CASES: list[tuple[str, str, object, Expect]] = [
    # portal JSON: files that cannot be read
    ("json-truncated-mid-record", P + "20250711-01.json", VALID[: len(VALID) // 3], rejected("not valid JSON (truncated or corrupt)")),
    ("json-truncated-after-a-record", P + "20250711-10.json", VALID[: VALID.index(b"},", len(VALID) // 2) + 2], rejected("not valid JSON (truncated or corrupt): the array is not closed, the file ends with ',' instead of ']'")),
    ("json-html-error-page", P + "20250711-02.json", HTML, rejected("not JSON: the file starts with '<' (an HTML or XML page saved as .json?)")),
    ("json-empty", P + "20250711-03.json", b"", rejected("empty file (0 bytes), expected a JSON array of dossier objects")),
    ("json-whitespace-only", P + "20250711-04.json", b" \r\n\t \n", rejected("empty file (only whitespace)")),
    ("json-object-not-array", P + "20250711-05.json", json.dumps(dossier("000.17.29.H40-250711-0005")).encode(), rejected("not a JSON array: the top level is an object")),
    ("json-array-of-non-objects", P + "20250711-06.json", b'["000.17.29.H40-250711-0006", 7, null]', rejected("a record does not have the portal shape")),
    ("json-png-named-json", P + "20250711-07.json", PNG, rejected("not JSON: the file is a PNG image")),
    ("json-raw-nul-byte", P + "20250711-08.json", portal(dossier("000.17.29.H40-250711-0008", TenTTHC="Đăng ký@khai sinh")).replace(b"@", b"\x00"), rejected("not valid JSON: a raw control character (a NUL byte?) inside a string")),
    ("json-200KB-value", P + "20250711-09.json", portal(dossier("000.17.29.H40-250711-0009", TenTTHC="x" * 200_000)), rejected("record 0: TenTTHC is longer than 131,072 characters (MAX_FIELD_CHARS)")),
    # portal JSON: records quarantined with their reason
    ("json-impossible-date", P + "20250712-01.json", portal(dossier("000.17.29.H40-250712-0001", NgayTiepNhan="20250732090000", NgayNopHoSo="", NgayKetThucXuLy="", NgayTra="", TrangThaiHoSo="2")), quarantined("received_at_invalid")),
    ("json-return-before-receipt", P + "20250712-02.json", portal(dossier("000.17.29.H40-250712-0002", NgayTra="20250709100000")), quarantined("returned_before_received")),
    ("json-unknown-unit", P + "20250712-03.json", portal(dossier("000.17.29.H40-250712-0003", DonViXuLy="Xã Không Có")), quarantined("unknown_unit")),
    ("json-unknown-channel-code", P + "20250712-04.json", portal(dossier("000.17.29.H40-250712-0004", KenhThucHien="9")), quarantined("unknown_channel")),
    ("json-unknown-status-code", P + "20250712-05.json", portal(dossier("000.17.29.H40-250712-0005", TrangThaiHoSo="11")), quarantined("unknown_status")),
    ("json-unknown-procedure", P + "20250712-06.json", portal(dossier("000.17.29.H40-250712-0006", MaTTHC="9.999999")), quarantined("unknown_procedure")),
    ("json-missing-dossier-code", P + "20250712-07.json", portal(dossier("")), quarantined("missing_dossier_code")),
    ("json-markup-in-a-code", P + "20250712-08.json", portal(dossier("000.17.29.H40-250712-0008", MaTTHC=SCRIPT)), quarantined("unknown_procedure")),
    # portal JSON: loaded, with what the rules say
    ("json-conflicting-duplicates", P + "20250713-01.json", portal(dossier(DUP, TrangThaiHoSo="4"), dossier(DUP, TrangThaiHoSo="9")), loaded(2, check=winner(DUP, status=9, source_row=1))),
    ("json-formula-text", P + "20250713-02.json", portal(dossier("000.17.29.H40-250713-0002", TenTTHC=FORMULA, ChuHoSo="=cmd|' /C calc'!A0")), loaded(1, check=stored(P + "20250713-02.json", "000.17.29.H40-250713-0002", "procedure_name", FORMULA))),
    ("json-escaped-nul", P + "20250713-03.json", portal(dossier("000.17.29.H40-250713-0003", TenTTHC="Đăng ký\u0000khai sinh")), loaded(1, check=all_of(stored(P + "20250713-03.json", "000.17.29.H40-250713-0003", "procedure_name", "Đăng ký\ufffdkhai sinh"), noted(P + "20250713-03.json", "NUL characters (\\u0000) replaced by U+FFFD in dossiers: procedure_name (1)")))),
    ("json-100KB-procedure-name", P + "20250713-04.json", portal(dossier("000.17.29.H40-250713-0004", TenTTHC=LONG_NAME)), loaded(1, check=stored(P + "20250713-04.json", "000.17.29.H40-250713-0004", "procedure_name", LONG_NAME))),
    ("json-13-digit-id", P + "20250713-05.json", portal(dossier("000.17.29.H40-250713-0005", SoGiayToChuHoSo="0400950012345")), loaded(1, warned=1, check=all_of(stored(P + "20250713-05.json", "000.17.29.H40-250713-0005", "warnings", "id_number_length"), stored(P + "20250713-05.json", "000.17.29.H40-250713-0005", "owner_id_length", 13)))),
    ("json-same-file-second-name", P + "20250714-01.json", VALID, duplicate()),
    # provincial CSV: files that cannot be read
    ("csv-cp1258", C + "20250801.csv", cp1258(provincial(row_a("000.17.29.H40-250801-0001"), bom=False)), rejected("not UTF-8 text (the exports are UTF-8 with a BOM; re-save the file as CSV UTF-8)")),
    ("csv-utf16", C + "20250802.csv", provincial(row_a("000.17.29.H40-250802-0001"), bom=False).encode("utf-16"), rejected("not UTF-8 text: UTF-16 (re-save the file as CSV UTF-8)")),
    ("csv-empty", C + "20250803.csv", b"", rejected("empty file (0 bytes), expected a CSV with a header row")),
    ("csv-missing-required-column", C + "20250805.csv", utf8(provincial(row_a("000.17.29.H40-250805-0001"), header=[h for h in VARIANT_A if h != "Trạng thái"])), rejected("missing required column 'Trạng thái' (status, or 'Tình trạng')")),
    ("csv-semicolon-delimiter", C + "20250809.csv", utf8(provincial(row_a("000.17.29.H40-250809-0001")).replace(",", ";")), rejected("the header row is separated by ';', expected ','")),
    ("csv-nul-byte", C + "20250811.csv", utf8(provincial(row_a("000.17.29.H40-250811-0001", Tên_thủ_tục_hành_chính="Đăng ký\x00khai sinh"))), rejected("it contains NUL bytes (line 2")),
    ("csv-whitespace-only", C + "20250812.csv", b"   \r\n \t \r\n", rejected("no header row, expected a CSV with a header row")),
    ("csv-html-error-page", C + "20250817.csv", HTML, rejected("not CSV: the file is an HTML page")),
    ("csv-unterminated-quote", C + "20250818.csv", utf8(provincial(row_a("000.17.29.H40-250818-0001")) + '2,000.17.29.H40-250818-0002,"Đăng ký\r\n'), rejected("unterminated quoted field")),
    ("csv-more-cells-than-header", C + "20250819.csv", utf8(provincial(row_a("000.17.29.H40-250819-0001")).replace("Trực tuyến", "Trực tuyến,Nguyễn Văn Lạ")), rejected("line 2 has 16 cells, the header has 15")),
    # provincial CSV: records quarantined with their reason
    ("csv-impossible-date", C + "20250807.csv", utf8(provincial(row_a("000.17.29.H40-250807-0001", Ngày_tiếp_nhận="31/06/2025 08:00:00", Ngày_nộp_hồ_sơ="", Ngày_kết_thúc_xử_lý="", Ngày_trả_kết_quả="", Trạng_thái="Đang xử lý"))), quarantined("received_at_invalid")),
    ("csv-unknown-status-label", C + "20250808.csv", utf8(provincial(row_a("000.17.29.H40-250808-0001", Trạng_thái="Tạm dừng"))), quarantined("unknown_status")),
    ("csv-unknown-channel-label", C + "20250815.csv", utf8(provincial(row_a("000.17.29.H40-250815-0001", Hình_thức_nộp="Fax"))), quarantined("unknown_channel")),
    ("csv-processed-before-received", C + "20250816.csv", utf8(provincial(row_a("000.17.29.H40-250816-0001", Ngày_kết_thúc_xử_lý="31/07/2025 15:00:00", Ngày_trả_kết_quả=""))), quarantined("processed_before_received")),
    # provincial CSV: loaded
    ("csv-header-only", C + "20250804.csv", utf8(provincial()), loaded(0)),
    ("csv-extra-unknown-column", C + "20250806.csv", utf8(provincial(row_a("000.17.29.H40-250806-0001", Cột_lạ="x"), header=VARIANT_A + ["Cột lạ"])), loaded(1, check=noted(C + "20250806.csv", "unknown column 'Cột lạ' ignored"))),
    ("csv-duplicate-header", C + "20250810.csv", utf8(provincial(row_a("000.17.29.H40-250810-0001"), header=VARIANT_A + ["Trạng thái"])), loaded(1, check=all_of(stored(C + "20250810.csv", "000.17.29.H40-250810-0001", "status", 10), noted(C + "20250810.csv", "column 'Trạng thái' repeats status (taken from 'Trạng thái'); ignored")))),
    ("csv-formula-text", C + "20250813.csv", utf8(provincial(row_a("000.17.29.H40-250813-0001", Tên_thủ_tục_hành_chính=FORMULA, Chủ_hồ_sơ="=1+2"))), loaded(1, check=stored(C + "20250813.csv", "000.17.29.H40-250813-0001", "procedure_name", FORMULA))),
    ("csv-100KB-procedure-name", C + "20250814.csv", utf8(provincial(row_a("000.17.29.H40-250814-0001", Tên_thủ_tục_hành_chính=LONG_NAME))), loaded(1, check=stored(C + "20250814.csv", "000.17.29.H40-250814-0001", "procedure_name", LONG_NAME))),
    # provincial XLSX
    ("xlsx-merged-title-rows", C + "20250820.xlsx", xlsx, loaded(2)),
    ("xlsx-without-header-row", C + "20250821.xlsx", lambda: xlsx(header=None), rejected("no header row: no sheet has a row with 'STT' and 'Mã hồ sơ' or 'Số hồ sơ' in its first 50 rows")),
    ("xlsx-png-named-xlsx", C + "20250822.xlsx", PNG, rejected("not a readable XLSX workbook: the file is a PNG image")),
    ("xlsx-zip-bomb", C + "20250823.xlsx", xlsx_bomb, rejected("zip bomb refused: member 'xl/worksheets/sheet1.xml' inflates")),
    # hostile entries (built by `hostile_entries`, content None here)
    ("link-out-of-the-folder", P + "20250715-01.json", None, rejected("symbolic link pointing outside the landing folder: not followed")),
    ("link-inside-the-folder", P + "20250715-02.json", None, duplicate()),
    ("fifo", P + "20250715-03.json", None, rejected("not a regular file but a FIFO (named pipe): not read")),
    ("name-with-shell-characters", P + "20250715-04;rm -rf ~.json", VALID.replace(b"250710", b"250715"), rejected("file name matches no known export")),
    ("name-with-a-line-break", P + "20250715-05.json\\n.json", None, rejected("file name holds control or invisible characters (a line break?): not read")),
]  # fmt: skip

HOSTILE_NAMES = {"name-with-a-line-break": "portal/hoso-20250715-05.json\n.json"}


def hostile_entries(landing: Path, outside: Path) -> None:
    secret = outside / "secret.json"
    secret.write_bytes(portal(dossier("000.17.29.H40-250715-9999")))
    (landing / "portal" / "hoso-20250715-01.json").symlink_to(secret)
    (landing / "portal" / "hoso-20250715-02.json").symlink_to("hoso-20250710-01.json")
    os.mkfifo(landing / "portal" / "hoso-20250715-03.json")
    (landing / HOSTILE_NAMES["name-with-a-line-break"]).write_bytes(VALID.replace(b"250710", b"250716"))


# ---- the one run ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    return build_world(tmp_path_factory.mktemp("bad_input"))


def build_world(tmp: Path) -> World:
    """Write the landing folder into `tmp`, run the whole pipeline once, read what it left."""
    landing = tmp / "landing"
    (landing / "portal").mkdir(parents=True)
    (landing / "provincial").mkdir()
    shutil.copytree(FIXTURES / "reference", landing / "reference")
    (landing / VALID_BATCH).write_bytes(VALID)
    for _id, relpath, content, _expect in CASES:
        if content is None:
            continue
        (landing / relpath).write_bytes(content() if callable(content) else content)
    outside = tmp / "outside"
    outside.mkdir()
    hostile_entries(landing, outside)
    settings = Settings(
        landing_dir=landing, warehouse_db=tmp / "warehouse.duckdb", analytics_db=tmp / "analytics.duckdb",
        dagster_home=tmp / "dagster_home", docs_dir=tmp / "docs",
    )  # fmt: skip
    with DagsterInstance.ephemeral() as instance:
        ok = run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)
    assert ok, "the pipeline run over the bad-input landing folder failed (a step raised; not a file outcome)"
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    try:
        def rows(sql: str) -> list[dict]:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r)) for r in cursor.fetchall()]

        files = {r["relpath"]: r for r in rows("SELECT * FROM meta.files")}
        quarantine: dict[str, list[dict]] = {}
        for r in rows("SELECT * EXCLUDE (record) FROM core.quarantine ORDER BY source_file, source_row"):
            quarantine.setdefault(r["source_file"], []).append(r)
        observations: dict[str, list[dict]] = {}
        for r in rows("SELECT * FROM core.dossier_observations ORDER BY source_file, source_row"):
            observations.setdefault(r["source_file"], []).append(r)
        dossiers = {r["dossier_code"]: r for r in rows("SELECT * FROM core.dossiers")}
    finally:
        con.close()
    return World(files=files, quarantine=quarantine, observations=observations, dossiers=dossiers, out_dir=tmp, ok=ok)


# ---- the cases ------------------------------------------------------------------------------------------------------


def test_the_run_goes_on_and_the_valid_batch_loads(world: World) -> None:
    assert world.ok
    assert world.files[VALID_BATCH]["outcome"] == "loaded"
    assert [r["dossier_code"] for r in world.observations[VALID_BATCH]] == list(VALID_CODES)
    assert world.files[VALID_BATCH]["records_loaded"] == VALID_SIZE
    sent = {r["MaHoSo"]: int(r["TrangThaiHoSo"]) for r in json.loads(VALID)}
    assert {code: world.dossiers[code]["status"] for code in VALID_CODES} == sent


DOSSIER_KINDS = ("portal_dossiers", "provincial_csv", "provincial_xlsx")


def test_nothing_is_lost(world: World) -> None:
    """Every record read is loaded or quarantined (meta.files, and the rows behind it), for every dossier file."""
    for relpath, f in world.files.items():
        if f["kind"] not in DOSSIER_KINDS:
            continue
        if f["outcome"] == "loaded":
            assert f["records_read"] == f["records_loaded"] + f["records_quarantined"], relpath
            assert len(world.observations.get(relpath, [])) == f["records_loaded"], relpath
            assert len(world.quarantine.get(relpath, [])) == f["records_quarantined"], relpath
        else:
            assert f["records_loaded"] == 0 and relpath not in world.observations, relpath


def test_nothing_is_lost_in_reference_files(world: World) -> None:
    for relpath, f in world.files.items():
        if f["outcome"] == "loaded" and f["kind"] not in DOSSIER_KINDS:
            assert f["records_read"] == f["records_loaded"] + f["records_quarantined"], relpath


def test_every_case_is_recorded(world: World) -> None:
    expected = {relpath for _id, relpath, _c, _e in CASES} | {VALID_BATCH}
    expected |= {f"reference/{name}" for name in ("units.csv", "procedures.csv", "published_figures.csv")}
    assert set(world.files) == expected


@pytest.mark.parametrize("case_id, relpath, content, expect", CASES, ids=[c[0] for c in CASES])
def test_bad_input(world: World, case_id: str, relpath: str, content: object, expect: Expect) -> None:
    f = world.files[relpath]
    assert f["outcome"] == expect.outcome, (f["outcome"], f["reason"])
    if expect.outcome == "rejected":
        # one line, naming the file and the problem, no absolute path
        assert f["reason"].startswith(relpath + ": ") and "\n" not in f["reason"]
        assert expect.reason in f["reason"], f["reason"]
        assert str(world.out_dir) not in f["reason"]
        assert f["records_loaded"] == 0
        return
    if expect.outcome == "duplicate_file":
        assert expect.reason in f["reason"]
        assert f["records_loaded"] == 0
        return
    assert f["reason"] is None
    assert f["records_read"] == expect.read
    got = [r["reasons"] for r in world.quarantine.get(relpath, [])]
    assert got == list(expect.quarantine)
    assert [r["reason"] for r in world.quarantine.get(relpath, [])] == [r.split("; ")[0] for r in expect.quarantine]
    assert f["records_quarantined"] == len(expect.quarantine)
    assert f["records_loaded"] == expect.read - len(expect.quarantine)
    assert f["records_warned"] == expect.warned
    if expect.check:
        expect.check(world)


def test_enough_cases() -> None:
    assert len(CASES) >= 25


def test_nothing_the_run_wrote_carries_active_content(world: World) -> None:
    """Formula-like and markup text is stored as inert text (asserted above) and nothing the run wrote (analytics
    snapshot, data docs, reports) holds it in a form that a spreadsheet or a browser would run: no CSV/XLSX cell
    starting with '=' unescaped, no raw <script> in HTML."""
    for path in world.out_dir.rglob("*"):
        if not path.is_file() or "landing" in path.relative_to(world.out_dir).parts[:1]:
            continue
        if path.suffix.lower() == ".csv":
            for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig", errors="replace"))):
                assert not any(cell.startswith(("=", "+", "-", "@")) and "HYPERLINK" in cell for cell in row), path
        elif path.suffix.lower() in (".html", ".htm", ".json", ".md"):
            assert SCRIPT not in path.read_text(encoding="utf-8", errors="replace"), path
        elif path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    assert not any(isinstance(v, str) and v.startswith("=") for v in row), path
            wb.close()
