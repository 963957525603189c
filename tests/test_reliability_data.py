"""Issue 15, the classes of bad input that loaded silently wrong or leaked personal values, each with its siblings:

1. implausible event dates (year 2205, 1900, 0025) in any timestamp field, portal and provincial: quarantined
   `date_implausible` naming the field, and never winning the merge, so a corrected re-export repairs the record;
2. identifiers with invisible characters (no-break, zero-width, ideographic spaces, BOM, word joiner, ...): removed
   at the ends, quarantined `code_invisible_character` inside; one dossier is never counted twice;
3. two-digit years and other ambiguous date forms in provincial exports: not read, the record quarantined with a
   reason naming the field (`received_at_invalid`, `date_unreadable`); never year 0025;
4. XLSX workbooks with several sheets: every sheet with the export's header is read, the others are named in the
   file's notes;
6. glob characters in paths (tests/test_reliability_paths.py, slow);
9. a parser's rejection reason never quotes the file's text: planted personal values in broken files of every format;
10. free text (attachment and result-document names, step notes, unit, procedure, fee and task names, labels, date
   cells) carries no ID number, phone or e-mail into the warehouse: pseudonymised or scrubbed in the parsers.

Parser-level cases run the parsers directly; the warehouse cases run the whole pipeline (`run_pipeline`, as
tests/test_bad_input.py does) on one hand-made landing folder, then again after corrected files replace some.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from dagster import DagsterInstance

from cli.run import run_pipeline
from assets.settings import Settings
from sources import SourceError, discover, parse
from sources.pii import pii_hash
from sources.text import (
    duckdb_path,
    hidden_characters,
    identifier,
    identifier_expr,
    identifier_sql,
    scrub,
    scrub_expr,
    scrub_sql,
)
from test_bad_input import FIXTURES, VALID, VARIANT_A, VARIANT_B, dossier, portal, provincial, row_a, utf8
from test_personal_data import needles, scan_duckdb, scan_files

KEY = "test-key-0123456789"
TZ = "Asia/Ho_Chi_Minh"


def landing_with(tmp: Path, files: dict[str, bytes]) -> Path:
    landing = tmp / "landing"
    shutil.copytree(FIXTURES / "reference", landing / "reference")
    for relpath, content in files.items():
        (landing / relpath).parent.mkdir(parents=True, exist_ok=True)
        (landing / relpath).write_bytes(content)
    return landing


def parsed(landing: Path, relpath: str):
    source = next(s for s in discover(landing) if s.relpath == relpath)
    return parse(source, landing, KEY)


def refused_reason(landing: Path, relpath: str) -> str:
    source = next(s for s in discover(landing) if s.relpath == relpath)
    with pytest.raises(SourceError) as error:
        parse(source, landing, KEY)
    return str(error.value)


def workbook(*sheets: tuple[str, list[list] | None, str]) -> bytes:
    """An XLSX file: (title, rows, state) per sheet; rows None is an empty sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for row in rows or []:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def b_row(code: str, received: object = "20/08/2025 08:00:00", **over) -> list:
    """A variant-B row (contract §2.2)."""
    row = dict(zip(VARIANT_B, [1, code, "Đăng ký khai sinh", "1.001234", "Hộ tịch", "Xã Anh Sơn", "Đang xử lý",
                               "Ngô Thị Mẫu", "0911000111", received, None, None, None, "Trực tuyến"]))  # fmt: skip
    row.update({k.replace("_", " "): v for k, v in over.items()})
    return [row[h] for h in VARIANT_B]


# ============================================================================ 2. identifiers: the text rules

HIDDEN = {
    "no-break space": "\u00a0",
    "zero-width space": "\u200b",
    "byte order mark": "\ufeff",
    "narrow no-break space": "\u202f",
    "ideographic space": "\u3000",
    "word joiner": "\u2060",
    "left-to-right mark": "\u200e",
    "soft hyphen": "\u00ad",
    "tab": "\t",
    "en space": "\u2002",
}
CODE = "000.17.29.H40-250710-0001"


@pytest.mark.parametrize("name", HIDDEN)
def test_identifier_rule_is_the_same_in_python_polars_and_duckdb(name: str) -> None:
    c = HIDDEN[name]
    values = [c + CODE, CODE + c, c + c + CODE + c, "000.17.29" + c + ".H40-250710-0001", c, c + c, None]
    expected = [CODE, CODE, CODE, "000.17.29" + c + ".H40-250710-0001", None, None, None]
    assert [identifier(v) for v in values] == expected
    assert pl.DataFrame({"v": values}, schema={"v": pl.String}).select(identifier_expr("v"))["v"].to_list() == expected
    con = duckdb.connect()
    got = [r[0] for r in con.execute(f"SELECT {identifier_sql('v')} FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(v, i) ORDER BY i",
                                     [values]).fetchall()]
    assert got == expected
    assert hidden_characters(expected[3]) and not hidden_characters(CODE)


def test_identifier_is_nfc() -> None:
    assert identifier("TE\u0301ST-1") == "TÉST-1"  # e + combining acute -> é


# ============================================================================ 10. free text: the scrub rule

SCRUB_CASES = [
    ("Gọi 0912345678 để nhận", "Gọi [number] để nhận"),
    ("CCCD 040199012345, CMND 123456789", "CCCD [number], CMND [number]"),
    ("SĐT 0912 345 678 / 0912.345.678 / +84 912-345-678", "SĐT [number] / [number] / [number]"),
    ("thư: nguyen.van.a+hs@mail.example.vn.", "thư: [email]."),
    ("Nghị định 123/2020/NĐ-CP, mẫu 01/2025, 12345678", "Nghị định 123/2020/NĐ-CP, mẫu 01/2025, 12345678"),
    ("Sở Xây dựng", "Sở Xây dựng"),
    ("", ""),
    (None, None),
]


def test_scrub_is_the_same_in_python_polars_and_duckdb() -> None:
    values = [v for v, _ in SCRUB_CASES]
    expected = [e for _, e in SCRUB_CASES]
    assert [scrub(v) for v in values] == expected
    assert pl.DataFrame({"v": values}, schema={"v": pl.String}).select(scrub_expr(pl.col("v")))["v"].to_list() == expected
    con = duckdb.connect()
    got = [r[0] for r in con.execute(f"SELECT {scrub_sql('v')} FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(v, i) ORDER BY i",
                                     [values]).fetchall()]
    assert got == expected


# ============================================================================ 6. paths are data (fast part)


def test_duckdb_path_names_exactly_that_file(tmp_path: Path) -> None:
    odd = tmp_path / "land[1]*?" / "x.parquet"
    decoy = tmp_path / "land1ab" / "x.parquet"  # what `land[1]*?` matches as a glob pattern
    for path, value in ((odd, 1), (decoy, 2)):
        path.parent.mkdir()
        pl.DataFrame({"a": [value]}).write_parquet(path)
    con = duckdb.connect()
    assert con.execute("SELECT a FROM read_parquet(?)", [duckdb_path(odd)]).fetchall() == [(1,)]
    assert con.execute("SELECT a FROM read_parquet(?)", [str(odd)]).fetchall() == [(2,)]  # why: the glob wins


def test_parsers_read_files_under_a_folder_with_glob_characters(tmp_path: Path) -> None:
    files = {"portal/hoso-20250710-01.json": portal(dossier(CODE)),
             "provincial/17329-hoso-20250801.csv": utf8(provincial(row_a("000.17.29.H40-250801-0001"))),
             "tasks/nq57-xa-20250806.csv": (FIXTURES / "tasks" / "nq57-xa-20250806.csv").read_bytes()}
    landing = landing_with(tmp_path / "in[1]*?", files)
    decoy = landing_with(tmp_path / "in1ab", {k: b"garbage" for k in files})  # would match the pattern
    assert decoy.is_dir()
    assert parsed(landing, "portal/hoso-20250710-01.json").frames["dossiers"]["dossier_code"].to_list() == [CODE]
    assert parsed(landing, "provincial/17329-hoso-20250801.csv").records == 1
    assert parsed(landing, "tasks/nq57-xa-20250806.csv").records > 0


# ============================================================================ 2. identifiers in the parsers


def test_invisible_characters_around_codes_are_removed_in_every_format(tmp_path: Path) -> None:
    chars = list(HIDDEN.values())
    codes = [f"{c}000.17.29.H40-250710-{i:04d}{chars[-1 - i]}" for i, c in enumerate(chars)]
    inner = "000.17.29.H40-250710\u00a0-0099"
    json_records = [dossier(code, MaTTHC="\u200b1.001234\u00a0") for code in codes] + [dossier(inner)]
    csv_rows = [row_a(code, Mã_thủ_tục="\ufeff1.001234") for code in codes] + [row_a(inner)]
    xlsx_rows = [VARIANT_B] + [b_row(code, Mã_TTHC="1.001234\u3000") for code in codes] + [b_row(inner)]
    landing = landing_with(tmp_path, {
        "portal/hoso-20250710-01.json": portal(*json_records),
        "provincial/17329-hoso-20250801.csv": utf8(provincial(*csv_rows)),
        "provincial/17329-hoso-20250820.xlsx": workbook(("Sheet1", xlsx_rows, "visible")),
    })  # fmt: skip
    clean = [identifier(c) for c in codes]
    assert all(not hidden_characters(c) for c in clean)
    for relpath in ("portal/hoso-20250710-01.json", "provincial/17329-hoso-20250801.csv",
                    "provincial/17329-hoso-20250820.xlsx"):
        frame = parsed(landing, relpath).frames["dossiers"]
        assert frame["dossier_code"].to_list() == clean + [inner], relpath
        assert set(frame["procedure_code"].to_list()) == {"1.001234"}, relpath
    docs = parsed(landing, "portal/hoso-20250710-01.json").frames["documents"]
    assert set(docs["dossier_code"].to_list()) <= set(clean) | {inner}


def test_invisible_characters_in_task_and_history_codes(tmp_path: Path) -> None:
    tasks = "\ufeffMã xã,Tên xã,Mã nhiệm vụ,Tên nhiệm vụ,Trạng thái,Ngày cập nhật\n" \
            "\u00a017329\u200b,Xã Anh Sơn,NV01\u3000,Nhiệm vụ 1,Hoàn thành,01/08/2025\n"
    history = json.dumps([{"MaHoSo": "\u2060" + CODE + "\u00a0", "NguoiXuLy": "Lê Văn Xử", "ThoiDiemXuLy": "20250710090000",
                           "TrangThai": "2"}], ensure_ascii=False)  # fmt: skip
    landing = landing_with(tmp_path, {"tasks/nq57-xa-20250806.csv": tasks.encode(),
                                      "portal/xuly-20250710-01.json": history.encode()})
    row = parsed(landing, "tasks/nq57-xa-20250806.csv").frames["commune_tasks"].row(0, named=True)
    assert (row["commune_code"], row["task_code"]) == ("17329", "NV01")
    steps = parsed(landing, "portal/xuly-20250710-01.json").frames["processing_steps"]
    assert steps["dossier_code"].to_list() == [CODE]


# ============================================================================ 3. dates of provincial exports

DATE_CASES = [  # cell -> the timestamp read (None: not read, the raw cell kept)
    ("01/08/2025 08:00:00", datetime(2025, 8, 1, 8, 0, 0)),
    ("1/8/2025 8:05", datetime(2025, 8, 1, 8, 5, 0)),
    ("01/08/2025", datetime(2025, 8, 1)),
    ("01/08/25", None),
    ("1/8/25", None),
    ("01/08/25 08:00:00", None),
    ("01-08-25", None),
    ("01-08-2025", None),
    ("01.08.2025", None),
    ("2025-08-01", None),
    ("01/08/025", None),
    ("01/08/20255", None),
    ("01/08/0025", datetime(25, 8, 1)),  # read as written: year 0025, which the plausibility check quarantines
]


def test_provincial_dates_are_read_only_with_a_four_digit_year(tmp_path: Path) -> None:
    rows = [row_a(f"000.17.29.H40-250801-{i:04d}", Ngày_kết_thúc_xử_lý=cell) for i, (cell, _) in enumerate(DATE_CASES)]
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250801.csv": utf8(provincial(*rows))})
    frame = parsed(landing, "provincial/17329-hoso-20250801.csv").frames["dossiers"]
    got = frame["processed_at"].dt.replace_time_zone(None).to_list()
    assert got == [expected for _, expected in DATE_CASES]
    assert frame["processed_at_raw"].to_list() == [cell for cell, _ in DATE_CASES]
    assert all(ts is None or ts.year in (25, 2025) for ts in got)


def test_xlsx_date_cells_of_year_25_read_as_0025_never_25(tmp_path: Path) -> None:
    rows = [VARIANT_B, b_row("000.17.29.H40-250820-0001", datetime(25, 8, 20, 8)),
            b_row("000.17.29.H40-250820-0002", "20/08/25"), b_row("000.17.29.H40-250820-0003", datetime(2025, 8, 20, 8))]
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(("S", rows, "visible"))})
    frame = parsed(landing, "provincial/17329-hoso-20250820.xlsx").frames["dossiers"]
    assert frame["received_at_raw"].to_list() == ["20/08/0025 08:00:00", "20/08/25", "20/08/2025 08:00:00"]
    assert frame["received_at"].dt.year().to_list() == [25, None, 2025]


def test_task_dates_with_two_digit_years_are_not_read(tmp_path: Path) -> None:
    text = "\ufeffMã xã,Tên xã,Mã nhiệm vụ,Tên nhiệm vụ,Trạng thái,Ngày cập nhật\n" + "".join(
        f"17329,Xã Anh Sơn,NV{i:02d},Nhiệm vụ,Hoàn thành,{cell}\n"
        for i, cell in enumerate(["01/08/2025", "01/08/25", "1/8/25", "01-08-2025"], start=1))
    landing = landing_with(tmp_path, {"tasks/nq57-xa-20250806.csv": text.encode()})
    result = parsed(landing, "tasks/nq57-xa-20250806.csv")
    assert [d and d.year for d in result.frames["commune_tasks"]["updated_on"].to_list()] == [2025, None, None, None]
    assert any("3 row(s) with an unreadable 'Ngày cập nhật'" in n for n in result.notes), result.notes


# ============================================================================ 4. workbooks with several sheets

NOTES_SHEET = [["Ghi chú"], ["Số liệu trích xuất từ hệ thống một cửa"], ["Người lập: cán bộ một cửa"]]


def codes_of(frame: pl.DataFrame) -> list[str]:
    return frame["dossier_code"].to_list()


def test_two_data_sheets_are_both_read(tmp_path: Path) -> None:
    first = [["DANH SÁCH HỒ SƠ"], [], VARIANT_B] + [b_row(f"000.17.29.H40-250820-{i:04d}") for i in (1, 2)]
    # the second sheet names its columns with the other aliases, in another order, without the title block
    header2 = ["STT", "Mã hồ sơ", "Mã thủ tục", "Tên thủ tục hành chính", "Đơn vị tiếp nhận", "Trạng thái",
               "Ngày tiếp nhận", "Hình thức nộp"]  # fmt: skip
    second = [header2, [1, "000.17.29.H40-250820-0003", "1.001234", "Đăng ký khai sinh", "Xã Anh Sơn", "Đang xử lý",
                        "20/08/2025", "Trực tiếp"], [], [2, "000.17.29.H40-250820-0004", "1.001234", "Đăng ký khai sinh",
                                                         "Xã Anh Sơn", "Đang xử lý", "20/08/2025", "Trực tiếp"]]  # fmt: skip
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(
        ("Tháng 8", first, "visible"), ("Tháng 8 (tiếp)", second, "visible"))})
    result = parsed(landing, "provincial/17329-hoso-20250820.xlsx")
    frame = result.frames["dossiers"]
    assert codes_of(frame) == [f"000.17.29.H40-250820-{i:04d}" for i in (1, 2, 3, 4)]
    assert frame["source_row"].to_list() == [0, 1, 2, 4]  # numbered across the workbook, blank rows counted
    assert frame["channel"].to_list() == [2, 2, 1, 1]
    assert any("2 sheets of records read: 'Tháng 8' (2), 'Tháng 8 (tiếp)' (2)" in n for n in result.notes), result.notes


def test_a_data_sheet_and_an_empty_sheet(tmp_path: Path) -> None:
    rows = [VARIANT_B, b_row("000.17.29.H40-250820-0001")]
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(
        ("Sheet1", rows, "visible"), ("Sheet2", None, "visible"))})
    result = parsed(landing, "provincial/17329-hoso-20250820.xlsx")
    assert codes_of(result.frames["dossiers"]) == ["000.17.29.H40-250820-0001"]
    assert result.notes == ["provincial/17329-hoso-20250820.xlsx: sheet 'Sheet2' is empty, not read"]


def test_a_data_sheet_and_a_notes_sheet(tmp_path: Path) -> None:
    rows = [VARIANT_B, b_row("000.17.29.H40-250820-0001")]
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(
        ("Ghi chú", NOTES_SHEET, "visible"), ("Dữ liệu", rows, "visible"))})
    result = parsed(landing, "provincial/17329-hoso-20250820.xlsx")
    assert codes_of(result.frames["dossiers"]) == ["000.17.29.H40-250820-0001"]
    assert result.notes == ["provincial/17329-hoso-20250820.xlsx: sheet 'Ghi chú' not read: no header row with 'STT' "
                            "and a dossier-code column in its first 50 rows (not export data)"]


def test_a_hidden_data_sheet_is_read_and_named(tmp_path: Path) -> None:
    visible = [VARIANT_B, b_row("000.17.29.H40-250820-0001")]
    hidden = [VARIANT_B, b_row("000.17.29.H40-250820-0002"), b_row("000.17.29.H40-250820-0003")]
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(
        ("Sheet1", visible, "visible"), ("Cũ", hidden, "hidden"), ("Rất ẩn", None, "veryHidden"))})
    result = parsed(landing, "provincial/17329-hoso-20250820.xlsx")
    assert codes_of(result.frames["dossiers"]) == [f"000.17.29.H40-250820-{i:04d}" for i in (1, 2, 3)]
    assert "provincial/17329-hoso-20250820.xlsx: hidden sheet 'Cũ' read (2 records)" in result.notes
    assert "provincial/17329-hoso-20250820.xlsx: sheet 'Rất ẩn' is empty, not read" in result.notes


def test_a_second_sheet_without_a_required_column_refuses_the_file_naming_it(tmp_path: Path) -> None:
    good = [VARIANT_B, b_row("000.17.29.H40-250820-0001")]
    bad = [[h for h in VARIANT_B if h != "Kênh nộp"], b_row("000.17.29.H40-250820-0002")[:-1]]
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(
        ("Sheet1", good, "visible"), ("Sheet2", bad, "visible"))})
    reason = refused_reason(landing, "provincial/17329-hoso-20250820.xlsx")
    assert reason.startswith("provincial/17329-hoso-20250820.xlsx: sheet 'Sheet2': missing required column 'Hình thức nộp'")


def test_a_workbook_without_any_data_sheet_names_its_sheets(tmp_path: Path) -> None:
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250820.xlsx": workbook(
        ("Ghi chú", NOTES_SHEET, "visible"), ("Trống", None, "visible"))})
    reason = refused_reason(landing, "provincial/17329-hoso-20250820.xlsx")
    assert "no header row" in reason and "(sheets: 'Ghi chú', 'Trống')" in reason


# ============================================================================ 9. rejection reasons never quote the file

NAME = "Phạm Thị Riêngtư"
ID_NUMBER = "040199012345"
PHONE = "0987654321"
EMAIL = "rieng.tu@example.vn"
PLANTED = (NAME, ID_NUMBER, PHONE, EMAIL, "Riêngtư")


def _broken_xlsx_sheet() -> bytes:
    good = workbook(("Sheet1", [VARIANT_B, b_row("000.17.29.H40-250820-0001", Người_nộp=NAME)], "visible"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", f"<row r='9'><c t='inlineStr'><is><t>{NAME} {ID_NUMBER}"
                                                     f"</t></is></c><c t='n'><v>{PHONE}x{EMAIL}</v></c></row></sheetData>"
                                    .encode())
            dst.writestr(info, data)
    return out.getvalue()


BROKEN = [  # relpath, content, a part of the reason
    ("portal/hoso-20250711-01.json", f'[{{"MaHoSo":"A","ChuHoSo":"{NAME}" "SoGiayToChuHoSo":"{ID_NUMBER}"}}]',
     "not valid JSON (truncated or corrupt): unexpected character at byte"),
    ("portal/hoso-20250711-02.json", f'[{{"MaHoSo":"A"}}, "{NAME} {PHONE} {EMAIL}"]', "record 1 is not an object"),
    ("portal/hoso-20250711-03.json", f'[{{"MaHoSo":"A","TaiLieuNop":"{NAME} {ID_NUMBER}"}}]', "record 0: TaiLieuNop is not a list"),
    ("portal/hoso-20250711-04.json", f'[{{"MaHoSo":"A","DinhDanhCHS":[{{"SoDinhDanh":"1"}}, "{ID_NUMBER}"]}}]',
     "record 0: DinhDanhCHS holds an element that is not an object"),
    ("portal/hoso-20250711-05.json", f'[{{"MaHoSo":"A","ChuHoSo":"{NAME}\u0001{PHONE}"}}]', "a raw control character"),
    ("portal/hoso-20250711-06.json", f'[{{"MaHoSo":"A","SoDienThoai":{PHONE}}}]', "number with leading zero"),
    ("portal/hoso-20250711-07.json", f'[{{"MaHoSo":"A","Email":"{EMAIL}\\q"}}]', "invalid escaped character"),
    ("portal/xuly-20250711-01.json", f'[{{"MaHoSo":"A","NguoiXuLy":{NAME}}}]', "not valid JSON"),
    ("portal/hoso-20250711-08.json", f'{{"ChuHoSo":"{NAME}","SoDienThoai":"{PHONE}"}}', "the top level is an object"),
    ("portal/hoso-20250711-09.json", f'[{{"MaHoSo":"A","ChuHoSo":"{NAME} {ID_NUMBER}"}},', "the array is not closed"),
    # provincial CSV: a file without its header row (the first record is read as one), quotes, widths
    ("provincial/17329-hoso-20250801.csv",
     f'1,000.17.29.H40-250801-0001,Đăng ký khai sinh,1.001234,Hộ tịch,UBND Xã Anh Sơn,Đã trả kết quả,{NAME},{EMAIL},'
     f'{PHONE},01/08/2025,{ID_NUMBER},,,Trực tuyến\n', "missing required columns"),
    ("provincial/17329-hoso-20250802.csv", provincial(row_a("000.17.29.H40-250802-0001")) + f'2,"{NAME} {ID_NUMBER}\n',
     "unterminated quoted field"),
    ("provincial/17329-hoso-20250803.csv", provincial(row_a("000.17.29.H40-250803-0001", Chủ_hồ_sơ=NAME))
     .replace(NAME, f"{NAME},{PHONE},{EMAIL}"), "line 2 has 17 cells, the header has 15"),
    ("provincial/17329-hoso-20250804.csv", provincial(row_a("000.17.29.H40-250804-0001", Chủ_hồ_sơ=NAME))
     .replace(NAME, f'"{NAME}" {ID_NUMBER}'), "cannot be read as CSV: line 2: ',' expected after '\"'"),
    ("provincial/17329-hoso-20250805.csv", provincial(row_a("000.17.29.H40-250805-0001", Chủ_hồ_sơ=f"{NAME}\x00{PHONE}")),
     "NUL bytes (line 2"),
    # tasks and reference CSV without their header rows
    ("tasks/nq57-xa-20250806.csv", f"17329,{NAME},NV01,{ID_NUMBER},{PHONE},{EMAIL}\n", "missing required columns"),
    # XLSX
    ("provincial/17329-hoso-20250820.xlsx", _broken_xlsx_sheet, "not a readable XLSX workbook"),
    ("provincial/17329-hoso-20250821.xlsx", lambda: workbook(("Sheet1", [[NAME, ID_NUMBER, PHONE, EMAIL]] * 3, "visible")),
     "no header row"),
    ("provincial/17329-hoso-20250822.xlsx", f"STT,Mã hồ sơ,Người nộp\n1,A,{NAME} {ID_NUMBER}\n",
     "not a readable XLSX workbook: the file is text"),
]  # fmt: skip


@pytest.mark.parametrize("relpath, content, expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_rejection_reasons_name_the_problem_never_the_values(tmp_path: Path, relpath: str, content, expected: str) -> None:
    data = content() if callable(content) else content
    landing = landing_with(tmp_path, {relpath: data.encode("utf-8") if isinstance(data, str) else data})
    reason = refused_reason(landing, relpath)
    assert reason.startswith(relpath + ": ") and "\n" not in reason
    assert expected in reason, reason
    assert not [v for v in PLANTED if v in reason], reason


def test_header_notes_never_quote_a_record(tmp_path: Path) -> None:
    """An unknown column is named in the notes; a file whose header row is missing is refused without quoting its
    first record (above); a known header with an extra column of personal data is named by its header only."""
    header = VARIANT_A + ["Ghi chú"]
    text = provincial(row_a("000.17.29.H40-250801-0001", Ghi_chú=f"{NAME} {PHONE}"), header=header)
    landing = landing_with(tmp_path, {"provincial/17329-hoso-20250801.csv": utf8(text)})
    notes = parsed(landing, "provincial/17329-hoso-20250801.csv").notes
    assert notes == ["provincial/17329-hoso-20250801.csv: unknown column 'Ghi chú' ignored"]


# ============================================================================ 10. free text in the parsers


def planted_portal() -> tuple[bytes, bytes]:
    record = dossier(
        "000.17.29.H40-250710-0501", TenTTHC=f"Đăng ký khai sinh (gọi {PHONE})", TenLinhVuc=f"Hộ tịch {EMAIL}",
        HinhThuc=f"Nhận tại nhà, SĐT {PHONE}", NoiNopHoSo=f"Bưu điện, CCCD {ID_NUMBER}",
        TaiLieuNop=[{"TepDinhKemId": "F1", "TenTepDinhKem": f"CCCD_{NAME}_{ID_NUMBER}.pdf", "IsDeleted": "0"}],
        DanhSachLePhi=[{"TenPhiLePhi": f"Lệ phí (nộp hộ {PHONE})", "MaPhiLePhi": "LP01", "HinhThucThu": f"CK {EMAIL}",
                        "Gia": "8000", "LoaiPhiLePhi": "1"}],
        DanhSachGiayToKetQua=[{"TenGiayTo": f"Giấy khai sinh của {NAME}", "MaThanhPhanHoSo": "KQ01", "GiayToId": "G1",
                               "MaGiayToKetQua": "GKS-1"}],
    )  # fmt: skip
    history = [{"MaHoSo": "000.17.29.H40-250710-0501", "NguoiXuLy": "Lê Văn Xử", "ChucDanh": f"Công chức ({PHONE})",
                "ThoiDiemXuLy": "20250710090000", "PhongBanXuLy": f"Một cửa, {EMAIL}",
                "NoiDungXuLy": f"Đã gọi bà {NAME} số {PHONE}, CCCD {ID_NUMBER}", "TrangThai": "2",
                "NgayBatDau": "20250710083000", "NgayKetThucTheoQuyDinh": ""}]  # fmt: skip
    return portal(record), json.dumps(history, ensure_ascii=False).encode()


def test_free_text_leaves_the_parsers_pseudonymised_or_scrubbed(tmp_path: Path) -> None:
    batch, history = planted_portal()
    csv_row = row_a("000.17.29.H40-250801-0501", Tên_thủ_tục_hành_chính=f"Khai sinh {PHONE}",
                    Lĩnh_vực=f"Hộ tịch {ID_NUMBER}", Đơn_vị_tiếp_nhận=f"UBND Xã Anh Sơn {EMAIL}",
                    Trạng_thái=f"Gọi {PHONE}", Hình_thức_nộp=f"Trực tuyến {EMAIL}", Ngày_trả_kết_quả=ID_NUMBER)
    tasks = ("\ufeffSTT,Mã nhiệm vụ,Tên nhiệm vụ,Đơn vị chủ trì,Hạn hoàn thành,Trạng thái,Ngày hoàn thành\n"
             f"1,NV-T01,Nhiệm vụ (liên hệ {PHONE}),Sở Nội vụ {EMAIL},31/12/2025,Đang thực hiện {ID_NUMBER},\n")
    landing = landing_with(tmp_path, {"portal/hoso-20250710-01.json": batch, "portal/xuly-20250710-01.json": history,
                                      "provincial/17329-hoso-20250801.csv": utf8(provincial(csv_row)),
                                      "tasks/nhiem-vu-tinh-20250806.csv": tasks.encode()})  # fmt: skip
    frames = {}
    for relpath in ("portal/hoso-20250710-01.json", "portal/xuly-20250710-01.json",
                    "provincial/17329-hoso-20250801.csv", "tasks/nhiem-vu-tinh-20250806.csv"):
        for name, frame in parsed(landing, relpath).frames.items():
            frames[f"{relpath}:{name}"] = frame
    for where, frame in frames.items():
        for column in frame.columns:
            values = [str(v) for v in frame[column].to_list() if v is not None]
            assert not [p for p in PLANTED for v in values if p in v], (where, column, values)
    docs = frames["portal/hoso-20250710-01.json:documents"].row(0, named=True)
    assert docs["file_name"] == pii_hash(f"CCCD_{NAME}_{ID_NUMBER}.pdf", KEY)
    assert frames["portal/hoso-20250710-01.json:results"]["document_name"].to_list() == [pii_hash(f"Giấy khai sinh của {NAME}", KEY)]
    step = frames["portal/xuly-20250710-01.json:processing_steps"].row(0, named=True)
    assert step["action"] == pii_hash(f"Đã gọi bà {NAME} số {PHONE}, CCCD {ID_NUMBER}", KEY)
    assert (step["handler_title"], step["department"]) == ("Công chức ([number])", "Một cửa, [email]")
    row = frames["portal/hoso-20250710-01.json:dossiers"].row(0, named=True)
    assert (row["procedure_name"], row["field_name"]) == ("Đăng ký khai sinh (gọi [number])", "Hộ tịch [email]")
    assert (row["result_form"], row["submit_place"]) == ("Nhận tại nhà, SĐT [number]", "Bưu điện, CCCD [number]")
    fee = frames["portal/hoso-20250710-01.json:fees"].row(0, named=True)
    assert (fee["fee_name"], fee["collect_form"]) == ("Lệ phí (nộp hộ [number])", "CK [email]")
    prov = frames["provincial/17329-hoso-20250801.csv:dossiers"].row(0, named=True)
    assert (prov["status_raw"], prov["returned_at_raw"], prov["unit_name"]) == (
        "Gọi [number]", "[number]", "UBND Xã Anh Sơn [email]")
    task = frames["tasks/nhiem-vu-tinh-20250806.csv:province_tasks"].row(0, named=True)
    assert (task["task_name"], task["lead_unit"], task["status_label"]) == (
        "Nhiệm vụ (liên hệ [number])", "Sở Nội vụ [email]", "Đang thực hiện [number]")


# ============================================================================ the warehouse: one landing folder, two runs

P = "portal/hoso-"
C = "provincial/17329-hoso-"
FUTURE, PAST = "22050711100000", "19000711100000"
HOME = "000.17.29.H40-250715-"


def run(settings: Settings) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)


def settings_for(tmp: Path, landing: Path) -> Settings:
    return Settings(landing_dir=landing, warehouse_db=tmp / "warehouse.duckdb", analytics_db=tmp / "analytics.duckdb",
                    dagster_home=tmp / "dagster_home", docs_dir=tmp / "docs")


def returned(code: str, **fields) -> dict:
    """A dossier of 15/07 returned on 16/07 (status 10), with `fields` replaced."""
    base = dict(TrangThaiHoSo="10", NgayNopHoSo="20250715080000", NgayTiepNhan="20250715083000",
                NgayHenTra="20250718170000", NgayKetThucXuLy="20250716090000", NgayTra="20250716100000")
    return dossier(code, **{**base, **fields})


def in_progress(code: str) -> dict:
    return returned(code, TrangThaiHoSo="4", NgayKetThucXuLy="", NgayTra="")


# 1. implausible dates. Day 15 loads each dossier in progress; day 16 sends each with one bad date; run 2 replaces
# day 16 by its corrected version (same name), which must repair every one of them.
BAD_DATES = [  # suffix, portal field, value, the quarantine's reasons
    ("0001", "NgayTra", FUTURE, "date_implausible"),
    ("0002", "NgayKetThucXuLy", FUTURE, "date_implausible"),
    ("0003", "NgayTiepNhan", FUTURE, "returned_before_received; processed_before_received; date_implausible"),
    ("0004", "NgayTuChoi", FUTURE, "date_implausible"),
    ("0005", "NgayNopHoSo", FUTURE, "date_implausible"),
    ("0006", "NgayHenTra", FUTURE, "date_implausible"),
    ("0007", "NgayTra", PAST, "returned_before_received; date_implausible"),
    ("0008", "NgayTiepNhan", PAST, "date_implausible"),
    ("0009", "NgayNopHoSo", PAST, "date_implausible"),
    ("0010", "NgayTra", "20250720100000", "date_implausible"),  # 3 days 10 hours after the batch: past the tolerance
]
DAY15, DAY16 = P + "20250715-01.json", P + "20250716-01.json"


def day15() -> bytes:
    return portal(*[in_progress(HOME + s) for s, *_ in BAD_DATES])


def day16(corrected: bool) -> bytes:
    return portal(*[returned(HOME + s, **({} if corrected else {field: value})) for s, field, value, _ in BAD_DATES])


# provincial formats: a CSV and an XLSX with dates of year 2205, 1900 and 0025, and two-digit years (class 3)
CSV_DATES = [  # suffix, cells, the quarantine's reasons
    ("0001", dict(Ngày_trả_kết_quả="03/08/2205 09:00:00"), "date_implausible"),
    ("0002", dict(Ngày_tiếp_nhận="01/08/1900 08:00:00", Ngày_nộp_hồ_sơ="", Ngày_kết_thúc_xử_lý="",
                  Ngày_trả_kết_quả="", Trạng_thái="Đang xử lý"), "date_implausible"),
    ("0003", dict(Ngày_kết_thúc_xử_lý="02/08/0025 15:00:00"), "processed_before_received; date_implausible"),
    ("0004", dict(Ngày_tiếp_nhận="01/08/25 08:00:00"), "received_at_invalid"),
    ("0005", dict(Ngày_kết_thúc_xử_lý="02/08/25"), "date_unreadable"),
    ("0006", dict(Ngày_trả_kết_quả="3/8/25 09:00"), "date_unreadable"),
    ("0007", dict(Ngày_nộp_hồ_sơ="01-08-25"), "date_unreadable"),
    ("0008", dict(Ngày_hẹn_trả="04.08.2025"), "date_unreadable"),
    ("0009", dict(Ngày_trả_kết_quả="2025-08-03"), "date_unreadable"),
    ("0010", dict(Ngày_tiếp_nhận="1/8/2025 8:00"), None),  # single digits, four-digit year: read
]  # fmt: skip
CSV_DAY = C + "20250803.csv"


def csv_dates(corrected: bool) -> bytes:
    rows = [row_a(f"000.17.29.H40-250801-{s}", **({} if corrected else cells)) for s, cells, _ in CSV_DATES]
    return utf8(provincial(*rows))


XLSX_DAY = C + "20250820.xlsx"


def xlsx_dates(corrected: bool) -> bytes:
    bad = [datetime(2205, 8, 22, 10), datetime(1900, 8, 22, 10), "22/08/25 10:00:00", "22/08/0025 10:00:00"]
    rows = [VARIANT_B] + [b_row(f"000.17.29.H40-250820-{i:04d}", Ngày_trả=datetime(2025, 8, 20, 10) if corrected else v,
                                Tình_trạng="Đã trả kết quả") for i, v in enumerate(bad, start=1)]  # fmt: skip
    return workbook(("Sheet1", rows, "visible"))


XLSX_REASONS = ["date_implausible", "returned_before_received; date_implausible", "date_unreadable",
                "returned_before_received; date_implausible"]

# 2. invisible characters: the same dossier sent with them around its code in every format, and inside in each
INVISIBLE_CODE = "000.17.29.H40-250717-0001"
INVISIBLE = {
    P + "20250717-01.json": portal(dossier(INVISIBLE_CODE, NgayTiepNhan="20250717083000", NgayKetThucXuLy="",
                                           NgayTra="", TrangThaiHoSo="2")),
    P + "20250717-02.json": portal(dossier("\u00a0" + INVISIBLE_CODE + "\u200b", NgayTiepNhan="20250717083000",
                                           NgayKetThucXuLy="", NgayTra="", TrangThaiHoSo="4", MaTTHC="\ufeff1.001234"),
                                   dossier("000.17.29.H40-250717\u200b-0002", NgayTiepNhan="20250717083000",
                                           NgayKetThucXuLy="", NgayTra="", TrangThaiHoSo="2"),
                                   dossier("000.17.29.H40-250717-0003", NgayTiepNhan="20250717083000",
                                           NgayKetThucXuLy="", NgayTra="", TrangThaiHoSo="2", MaTTHC="1.001\u00a0234")),
    C + "20250718.csv": utf8(provincial(
        row_a("\u3000" + INVISIBLE_CODE + "\u2060", Ngày_nộp_hồ_sơ="17/07/2025 08:00:00", Ngày_tiếp_nhận="17/07/2025 08:30:00",
              Ngày_kết_thúc_xử_lý="18/07/2025 09:00:00", Ngày_trả_kết_quả="", Trạng_thái="Đã xử lý xong"),
        row_a("000.17.29.H40-250717\u00a0-0004", Ngày_nộp_hồ_sơ="17/07/2025 08:00:00", Ngày_tiếp_nhận="17/07/2025 08:30:00",
              Ngày_kết_thúc_xử_lý="", Ngày_trả_kết_quả="", Trạng_thái="Đang xử lý"))),
    C + "20250719.xlsx": workbook(("Sheet1", [VARIANT_B, b_row("\ufeff" + INVISIBLE_CODE + "\u202f", "17/07/2025 08:30:00"),
                                              b_row("000.17.29.H40-250717-\u200e0005", "17/07/2025 08:30:00")], "visible")),
}  # fmt: skip
INVISIBLE_REASONS = {P + "20250717-02.json": ["code_invisible_character", "unknown_procedure; code_invisible_character"],
                     C + "20250718.csv": ["code_invisible_character"], C + "20250719.xlsx": ["code_invisible_character"]}

# 10. free text with planted personal values, loaded (and quarantined) through the whole pipeline
PLANTED_CSV = C + "20250804.csv"


def planted_csv() -> bytes:
    return utf8(provincial(
        row_a("000.17.29.H40-250804-0001", Tên_thủ_tục_hành_chính=f"Đăng ký khai sinh {PHONE}", Lĩnh_vực=f"Hộ tịch {EMAIL}"),
        row_a("000.17.29.H40-250804-0002", Đơn_vị_tiếp_nhận=f"UBND Xã {ID_NUMBER}"),  # unknown unit: quarantined
        row_a("000.17.29.H40-250804-0003", Trạng_thái=f"Gọi {PHONE}"),  # unknown status: quarantined
        row_a("000.17.29.H40-250804-0004", Hình_thức_nộp=f"Trực tuyến {EMAIL}"),  # unknown channel: quarantined
        row_a("000.17.29.H40-250804-0005", Ngày_trả_kết_quả=ID_NUMBER),  # unreadable date: quarantined
        row_a("000.17.29.H40-250804-0006", Ngày_tiếp_nhận=PHONE),  # unreadable receipt: quarantined
    ))  # fmt: skip


def world_files(corrected: bool) -> dict[str, bytes]:
    batch, history = planted_portal()
    return {
        # three valid batches, so that the bad records stay under the blocking quarantined share (5%)
        "portal/hoso-20250710-01.json": VALID, P + "20250712-01.json": VALID.replace(b"-250710-", b"-250712-"),
        P + "20250713-01.json": VALID.replace(b"-250710-", b"-250713-"), DAY15: day15(), DAY16: day16(corrected),
        CSV_DAY: csv_dates(corrected), XLSX_DAY: xlsx_dates(corrected), **INVISIBLE,
        P + "20250711-01.json": batch, "portal/xuly-20250711-01.json": history, PLANTED_CSV: planted_csv(),
    }


def read(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse_runs(tmp_path_factory):
    """Run 1 on the bad files, then run 2 after the corrected versions replaced them (same names)."""
    tmp = tmp_path_factory.mktemp("reliability_data")
    landing = landing_with(tmp, world_files(corrected=False))
    settings = settings_for(tmp, landing)
    run(settings)
    first = {
        "quarantine": read(settings.warehouse_db, "SELECT source_file, source_row, reasons, failed_values, dossier_code, "
                           "resolved_by_load_id FROM core.quarantine ORDER BY source_file, source_row"),
        "dossiers": dict(read(settings.warehouse_db, "SELECT dossier_code, status FROM core.dossiers")),
    }
    for relpath, content in world_files(corrected=True).items():
        if (landing / relpath).read_bytes() != content:
            (landing / relpath).write_bytes(content)
    run(settings)
    return settings, first


def reasons_of(quarantine: list[tuple], relpath: str) -> list[str]:
    return [r[2] for r in quarantine if r[0] == relpath]


def test_implausible_portal_dates_are_quarantined_naming_the_field(warehouse_runs) -> None:
    _, first = warehouse_runs
    assert reasons_of(first["quarantine"], DAY16) == [reasons for *_, reasons in BAD_DATES]
    failed = {r[4]: r[3] for r in first["quarantine"] if r[0] == DAY16}
    assert "_implausible_dates=returned_at" in failed[HOME + "0001"]
    assert "_implausible_dates=refused_at" in failed[HOME + "0004"]
    assert "_implausible_dates=due_at" in failed[HOME + "0006"]
    assert "received_at=2205-07-11T10:00:00+07:00" in failed[HOME + "0003"]
    # the bad day-16 observations did not load: each dossier keeps its day-15 state
    assert all(first["dossiers"][HOME + s] == 4 for s, *_ in BAD_DATES)


def test_a_corrected_re_export_under_the_same_name_repairs_every_record(warehouse_runs) -> None:
    settings, _ = warehouse_runs
    states = dict(read(settings.warehouse_db, "SELECT dossier_code, status FROM core.dossiers WHERE dossier_code LIKE ?",
                       [HOME + "%"]))
    assert states == {HOME + s: 10 for s, *_ in BAD_DATES}
    resolved = read(settings.warehouse_db, "SELECT count(*), count(resolved_by_load_id) FROM core.quarantine "
                    "WHERE source_file IN (?, ?, ?)", [DAY16, CSV_DAY, XLSX_DAY])
    assert resolved == [(len(BAD_DATES) + 9 + 4, len(BAD_DATES) + 9 + 4)]
    assert read(settings.warehouse_db, "SELECT count(*) FROM meta.files WHERE relpath = ?", [DAY16]) == [(2,)]


def test_implausible_and_two_digit_year_dates_in_provincial_exports(warehouse_runs) -> None:
    settings, first = warehouse_runs
    assert reasons_of(first["quarantine"], CSV_DAY) == [r for *_, r in CSV_DATES if r]
    assert reasons_of(first["quarantine"], XLSX_DAY) == XLSX_REASONS
    failed = {r[4]: r[3] for r in first["quarantine"] if r[0] == CSV_DAY}
    assert "_unreadable_dates=processed_at" in failed["000.17.29.H40-250801-0005"]
    assert "_unreadable_dates=returned_at" in failed["000.17.29.H40-250801-0006"]
    assert "_unreadable_dates=submitted_at" in failed["000.17.29.H40-250801-0007"]
    assert "_unreadable_dates=due_at" in failed["000.17.29.H40-250801-0008"]
    assert "received_at_raw=01/08/25 08:00:00" in failed["000.17.29.H40-250801-0004"]
    # never a year before 2000 or after the batch anywhere in the warehouse
    for column in ("submitted_at", "received_at", "due_at", "processed_at", "returned_at", "refused_at", "event_at"):
        years = read(settings.warehouse_db, f"SELECT min(year({column})), max(year({column})) FROM core.dossier_observations")
        assert years[0][0] is None or 2000 <= years[0][0] and years[0][1] <= 2026, (column, years)


def test_the_merge_never_lets_an_implausible_event_win(warehouse_runs, tmp_path: Path) -> None:
    """An observation loaded before the rule (event_at 2205, inserted directly) does not win against the corrected
    one: merge_dossiers.sql orders on the plausible part of event_at."""
    settings, _ = warehouse_runs
    db = tmp_path / "copy.duckdb"
    shutil.copy2(settings.warehouse_db, db)
    code = HOME + "0001"
    con = duckdb.connect(str(db))
    try:
        con.execute("""INSERT INTO core.dossier_observations
                       SELECT * REPLACE ('legacy' AS load_id, 10 AS status, TIMESTAMPTZ '2205-07-11 10:00:00+07' AS
                                         returned_at, TIMESTAMPTZ '2205-07-11 10:00:00+07' AS event_at, 99 AS source_row,
                                         'hoso-legacy' AS source_file)
                       FROM core.dossier_observations WHERE dossier_code = ? AND source_file = ? LIMIT 1""",
                    [code, DAY15])  # fmt: skip
        con.execute("UPDATE core.dossier_observations SET status = 4 WHERE dossier_code = ? AND load_id <> 'legacy' "
                    "AND status = 10", [code])
        con.execute("SET VARIABLE load_id = 'legacy'")
        from warehouse.db import sql_text

        con.execute(sql_text("load", "merge_dossiers.sql"))
        winner = con.execute("SELECT source_file, status FROM core.dossiers WHERE dossier_code = ?", [code]).fetchall()
        assert winner == [(DAY16, 4)]  # the latest plausible observation, not the 2205 one
    finally:
        con.close()


def test_an_invisible_character_never_makes_a_second_dossier(warehouse_runs) -> None:
    settings, first = warehouse_runs
    rows = read(settings.warehouse_db, "SELECT dossier_code, observations, sources FROM core.dossiers "
                "WHERE dossier_code LIKE '%250717%'")
    assert rows == [(INVISIBLE_CODE, 4, "portal_json,provincial_csv,provincial_xlsx")]
    for relpath, reasons in INVISIBLE_REASONS.items():
        assert reasons_of(first["quarantine"], relpath) == reasons, relpath
    failed = [r[3] for r in first["quarantine"] if r[0] == P + "20250717-02.json"]
    assert "_codes_with_invisible_characters=dossier_code" in failed[0]
    assert "_codes_with_invisible_characters=procedure_code" in failed[1]
    counted = read(settings.warehouse_db, "SELECT count(*) FROM core.dossiers WHERE dossier_code LIKE '%250717%' "
                   "OR regexp_matches(dossier_code, '[\\s\\p{Z}\\p{Cc}\\p{Cf}]')")
    assert counted == [(1,)]


def test_no_planted_personal_value_reaches_the_warehouse_or_the_snapshot(warehouse_runs) -> None:
    settings, first = warehouse_runs
    assert reasons_of(first["quarantine"], PLANTED_CSV) == [
        "unknown_unit", "unknown_status", "unknown_channel", "date_unreadable", "received_at_invalid"]
    forms = needles({"planted": set(PLANTED)})
    patterns = sorted(forms)
    assert scan_files(settings.landing_dir, patterns)  # the scanner finds them where they are
    found = scan_duckdb(settings.warehouse_db, patterns) | scan_duckdb(settings.analytics_db, patterns)
    for folder in (settings.docs_dir, settings.warehouse_db.parent / "staging"):
        if folder.exists():
            found |= scan_files(folder, patterns)
    assert found == {}
    # the free text that loaded is there, scrubbed or pseudonymised
    assert read(settings.warehouse_db, "SELECT DISTINCT procedure_name FROM core.dossier_observations "
                "WHERE dossier_code = '000.17.29.H40-250804-0001'") == [("Đăng ký khai sinh [number]",)]
    failed = {r[4]: r[3] for r in first["quarantine"] if r[0] == PLANTED_CSV}
    assert failed["000.17.29.H40-250804-0002"] == "unit_code=null, unit_name=UBND Xã [number]"
    assert "received_at_raw=[number]" in failed["000.17.29.H40-250804-0006"]
