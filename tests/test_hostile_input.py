"""Hostile landing files (issue "Reliability and security", item 6): each is refused with a clear one-line message
naming the file and the limit, in bounded memory, or handled safely; discovery never reads outside the landing
folder, never blocks, and stores file names as text only.

The limits are in sources/limits.py. The memory tests parse each big hostile file in a child process and assert its
peak RSS (VmHWM, imports included) under the bound measured for it (MEMORY_BOUNDS_MB, each far under the 1.5 GB
ceiling), and that it exits cleanly with the expected message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from sources import SourceError, discover, limits, parse
from sources.discover import display_name
from sources.portal_json import json_depth
from cp1258 import cp1258

ROOT = Path(__file__).resolve().parents[1]
LANDING = Path(__file__).parent / "fixtures_sources" / "landing"
KEY = "test-key-0123456789"
GOOD_JSON = (LANDING / "portal" / "hoso-20250702-01.json").read_bytes()
CSV_HEADER = (
    "STT,Mã hồ sơ,Tên thủ tục hành chính,Mã thủ tục,Lĩnh vực,Đơn vị tiếp nhận,Trạng thái,Chủ hồ sơ,Địa chỉ,"
    "Ngày nộp hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Ngày trả kết quả,Hình thức nộp\n"
)
CSV_ROW = (
    "1,000.17.29.H40-250804-0007,Đăng ký khai sinh,1.001234,Hộ tịch,UBND Xã Anh Sơn,Đã trả kết quả,,,,"
    "04/08/2025 08:00:00,,,,Trực tiếp\n"
)
MiB = 1024 * 1024
CEILING_MB = 1536  # the brief's bound for any hostile parse


def write(root: Path, relpath: str, content: bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def by_relpath(root: Path) -> dict:
    return {s.relpath: s for s in discover(root)}


def refused(root: Path, relpath: str) -> str:
    source = by_relpath(root)[relpath]
    with pytest.raises(SourceError) as caught:
        parse(source, root, KEY)
    message = str(caught.value)
    assert message.startswith(f"{relpath}: ") and "\n" not in message
    assert str(root) not in message  # no absolute paths
    return message


# ---- file names ---------------------------------------------------------------------------------------------------


NAMES = [
    # (name on disk, kind, relpath as stored)
    (b"portal/hoso-20250701-01;rm -rf ~.json", "unknown", "portal/hoso-20250701-01;rm -rf ~.json"),
    (b"provincial/x;$(reboot)-hoso-20250806.csv", "unknown", "provincial/x;$(reboot)-hoso-20250806.csv"),
    (b"provincial/`id`-hoso-20250806.xlsx", "unknown", "provincial/`id`-hoso-20250806.xlsx"),
    (b"provincial/17329 && ls-hoso-20250806.csv", "unknown", "provincial/17329 && ls-hoso-20250806.csv"),
    (b"portal/..hoso-20250701-01.json", "unknown", "portal/..hoso-20250701-01.json"),
    (b"portal/-rf", "unknown", "portal/-rf"),
    (b"portal/hoso-20250701-01.json\nportal/hoso-20250702-01.json", "refused",
     "portal/hoso-20250701-01.json\\nportal/hoso-20250702-01.json"),
    (b"portal/hoso-20250706-01\r.json", "refused", "portal/hoso-20250706-01\\r.json"),
    ("portal/hoso-20250707-01\u202enosj.json".encode(), "refused", "portal/hoso-20250707-01\\u202enosj.json"),
    (b"portal/hoso-\xff\xfe-01.json", "refused", "portal/hoso-\\xff\\xfe-01.json"),
    (b"portal/back\\slash.json", "unknown", "portal/back\\\\slash.json"),
]  # fmt: skip


def test_file_names_are_text_only_and_odd_ones_are_refused(tmp_path: Path) -> None:
    for raw, _kind, _shown in NAMES:
        path = os.path.join(os.fsencode(tmp_path), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(GOOD_JSON)
    found = by_relpath(tmp_path)
    assert set(found) == {shown for _raw, _kind, shown in NAMES}
    for raw, kind, shown in NAMES:
        source = found[shown]
        assert source.kind == kind, shown
        assert shown.isprintable() and "\n" not in shown
        shown.encode("utf-8")  # storable as text (json, DuckDB VARCHAR)
        json.dumps({"relpath": shown}, ensure_ascii=False).encode("utf-8")
        with pytest.raises(SourceError) as caught:
            parse(source, tmp_path, KEY)
        message = str(caught.value)
        assert "\n" not in message and message.startswith(shown + ": ")
        if kind == "refused":
            assert "file name" in message and "not read" in message
            assert source.size == 0  # not read, not hashed
            assert source.sha256 != hashlib.sha256(GOOD_JSON).hexdigest()


def test_display_name_is_injective_on_escapes() -> None:
    names = ["a\nb", "a\\nb", "a\\\\nb", "a\udcffb", "a\\xffb", "a\u202eb", "a\\u202eb"]
    shown = [display_name(n)[0] for n in names]
    assert len(set(shown)) == len(names)
    assert display_name("portal/hoso-20250701-01.json") == ("portal/hoso-20250701-01.json", None)


def test_nothing_in_the_project_runs_a_shell() -> None:
    """File names are never given to a shell: no module of the pipeline starts a shell, and the only processes it
    starts are dbt's (warehouse/dbt_runner.py runs the launcher with an argument list; warehouse/dbt_launcher.py
    execs the installed dbt), whose arguments are dbt commands and the marts' vars, never a landing file's name."""
    pattern = re.compile(r"\bsubprocess\b|os\.system|os\.popen|os\.exec|os\.spawn|shell\s*=\s*True|pty\.spawn")
    allowed = {"warehouse/dbt_runner.py", "warehouse/dbt_launcher.py"}
    offenders, starters = [], set()
    for folder in ("sources", "stages", "assets", "pipelines", "warehouse", "expectations", "samples", "cli", "reports"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                code = line.split("#", 1)[0]
                if re.search(r"shell\s*=\s*True|os\.system|os\.popen|pty\.spawn", code):
                    offenders.append(f"{rel}:{number}: {line.strip()}")
                elif pattern.search(code) and not code.lstrip().startswith(("\"", "'")):
                    starters.add(rel)
                    if rel not in allowed:
                        offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []
    assert starters == allowed  # the rule above is live: the dbt modules are seen


# ---- symbolic links and special files -----------------------------------------------------------------------------


def test_symlinks_pointing_outside_are_refused_not_followed(tmp_path: Path) -> None:
    landing, outside = tmp_path / "landing", tmp_path / "outside"
    secret = write(outside, "secret.json", b'[{"MaHoSo": "SECRET-OUTSIDE"}]')
    write(outside, "portal/hoso-20250703-01.json", GOOD_JSON)
    write(landing, "portal/hoso-20250702-01.json", GOOD_JSON)
    (landing / "portal" / "hoso-20250701-01.json").symlink_to(secret)  # a file outside
    (landing / "linked").symlink_to(outside, target_is_directory=True)  # a folder outside
    (landing / "portal" / "hoso-20250704-01.json").symlink_to("/nonexistent/x.json")  # dangling
    (landing / "portal" / "loop-a").symlink_to(landing / "portal" / "loop-b")
    (landing / "portal" / "loop-b").symlink_to(landing / "portal" / "loop-a")
    (landing / "portal" / "up").symlink_to("..", target_is_directory=True)  # a folder inside: not walked
    found = by_relpath(landing)
    assert set(found) == {
        "portal/hoso-20250702-01.json", "portal/hoso-20250701-01.json", "linked", "portal/hoso-20250704-01.json",
        "portal/loop-a", "portal/loop-b", "portal/up",
    }  # fmt: skip  (nothing under linked/ or up/: links to folders are not walked)
    assert found["portal/hoso-20250702-01.json"].kind == "portal_dossiers"
    expected = {
        "portal/hoso-20250701-01.json": "symbolic link pointing outside the landing folder: not followed",
        "linked": "symbolic link pointing outside the landing folder: not followed",
        "portal/hoso-20250704-01.json": "symbolic link to a missing target or into a loop: not followed",
        "portal/loop-a": "symbolic link to a missing target or into a loop: not followed",
        "portal/up": "symbolic link to a folder: not followed",
    }
    for relpath, reason in expected.items():
        source = found[relpath]
        assert source.kind == "refused" and source.size == 0
        assert source.sha256 != hashlib.sha256(secret.read_bytes()).hexdigest()  # the target was never read
        message = refused(landing, relpath)
        assert reason in message
        assert str(outside) not in message and "secret" not in message  # the target is not named


def test_symlink_pointing_inside_is_read_from_its_target(tmp_path: Path) -> None:
    target = write(tmp_path, "archive/batch.json", GOOD_JSON)
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "hoso-20250702-01.json").symlink_to("../archive/batch.json")
    found = by_relpath(tmp_path)
    link = found["portal/hoso-20250702-01.json"]
    assert link.kind == "portal_dossiers" and link.path == target.resolve()
    assert link.sha256 == found["archive/batch.json"].sha256  # the same bytes: a second copy would be duplicate_file
    parsed = parse(link, tmp_path, KEY)
    assert parsed.frames["dossiers"].get_column("source_file").to_list() == ["portal/hoso-20250702-01.json"]


def test_a_file_swapped_for_a_link_after_discovery_is_not_read(tmp_path: Path) -> None:
    secret = write(tmp_path / "outside", "secret.json", b'[{"MaHoSo": "SECRET"}]')
    landing = tmp_path / "landing"
    path = write(landing, "portal/hoso-20250702-01.json", GOOD_JSON)
    source = by_relpath(landing)["portal/hoso-20250702-01.json"]
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(SourceError, match="resolves outside the landing folder"):
        parse(source, landing, KEY)


def test_fifo_and_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    write(tmp_path, "portal/hoso-20250702-01.json", GOOD_JSON)
    os.mkfifo(tmp_path / "portal" / "hoso-20250701-01.json")
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(found=by_relpath(tmp_path)), daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "discover blocked on a FIFO"
    fifo = result["found"]["portal/hoso-20250701-01.json"]
    assert fifo.kind == "refused"
    assert "not a regular file but a FIFO (named pipe): not read" in refused(tmp_path, "portal/hoso-20250701-01.json")


# ---- files that are not what their name says ----------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
HTML = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def xlsx_bytes(tmp_path: Path) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["STT", "Số hồ sơ"])
    wb.save(tmp_path / "w.xlsx")
    return (tmp_path / "w.xlsx").read_bytes()


@pytest.mark.parametrize(
    "relpath, content, expected",
    [
        ("provincial/17329-hoso-20250806.xlsx", PNG, "not a readable XLSX workbook: the file is a PNG image"),
        ("provincial/17329-hoso-20250806.xlsx", HTML, "the file is an HTML page (an 'Excel' export that is really HTML?"),
        ("provincial/17329-hoso-20250806.xlsx", OLE2, "the file is an old Excel 97-2003 .xls workbook or an encrypted"),
        ("provincial/17329-hoso-20250806.xlsx", CSV_HEADER.encode(), "the file is text (a CSV saved with an .xlsx name?)"),
        ("provincial/17329-hoso-20250806.xlsx", b"PK\x03\x04" + b"\x00" * 100, "a damaged zip archive"),
        ("portal/hoso-20250701-01.json", PNG, "not JSON: the file is a PNG image"),
        ("portal/hoso-20250701-01.json", HTML, "not JSON: the file starts with '<' (an HTML or XML page saved as .json?)"),
        ("portal/hoso-20250701-01.json", OLE2, "not JSON: the file is an old Excel 97-2003 .xls"),
        ("provincial/17329-hoso-20250806.csv", PNG, "not CSV text: the file is a PNG image"),
        ("provincial/17329-hoso-20250806.csv", HTML, "not CSV: the file is an HTML page (an error page saved as .csv?)"),
        ("provincial/17329-hoso-20250806.csv", ("\ufeff" + CSV_HEADER + CSV_ROW).encode("utf-16"),
         "not UTF-8 text: UTF-16 (re-save the file as CSV UTF-8)"),
        ("provincial/17329-hoso-20250806.csv", (CSV_HEADER + CSV_ROW).encode("utf-16-le"),
         "not UTF-8 text: UTF-16"),
        ("provincial/17329-hoso-20250806.csv", cp1258(CSV_HEADER + CSV_ROW),
         "not UTF-8 text (the exports are UTF-8 with a BOM; re-save the file as CSV UTF-8)"),
    ],
    ids=[
        "png-as-xlsx", "html-as-xlsx", "xls-as-xlsx", "csv-as-xlsx", "broken-zip", "png-as-json", "html-as-json",
        "xls-as-json", "png-as-csv", "html-as-csv", "utf16-csv", "utf16le-csv", "cp1258-csv",
    ],  # fmt: skip
)
def test_a_file_that_is_not_what_its_name_says(tmp_path: Path, relpath: str, content: bytes, expected: str) -> None:
    write(tmp_path, relpath, content)
    assert expected in refused(tmp_path, relpath)


def test_xlsx_named_csv_and_zip_that_is_not_office(tmp_path: Path) -> None:
    write(tmp_path, "provincial/17329-hoso-20250806.csv", xlsx_bytes(tmp_path))
    assert "not CSV text: the file is a ZIP archive (an XLSX workbook?)" in refused(
        tmp_path, "provincial/17329-hoso-20250806.csv"
    )
    with zipfile.ZipFile(tmp_path / "provincial" / "17329-hoso-20250807.xlsx", "w") as z:
        z.writestr("readme.txt", "hello")
    assert "a zip archive without [Content_Types].xml" in refused(tmp_path, "provincial/17329-hoso-20250807.xlsx")


# ---- XLSX: zip bombs and openpyxl expansions ----------------------------------------------------------------------

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{extra}</Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>{extra}</Relationships>'
)
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    b'main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"
VARIANT_B = ["STT", "Số hồ sơ", "Tên thủ tục", "Mã TTHC", "Lĩnh vực", "Đơn vị xử lý", "Tình trạng", "Người nộp",
             "Số điện thoại", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Ngày trả", "Kênh nộp"]  # fmt: skip


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _header_row() -> bytes:
    return b'<row r="1">' + b"".join(_inline(f"{chr(65 + i)}1", h) for i, h in enumerate(VARIANT_B)) + b"</row>"


def write_raw_xlsx(path: Path, sheet_chunks, members: dict | None = None, ct_extra: str = "", rels_extra: str = "",
                   compression=zipfile.ZIP_DEFLATED) -> Path:  # fmt: skip
    """An XLSX zip written part by part (the sheet streamed from `sheet_chunks`), for shapes openpyxl never writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CT.format(extra=ct_extra))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(extra=rels_extra))
        if isinstance(sheet_chunks, bytes):  # written whole: a plain (not zip64) entry
            z.writestr("xl/worksheets/sheet1.xml", sheet_chunks)
        else:
            with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
                for chunk in sheet_chunks():
                    f.write(chunk)
        for name, chunks in (members or {}).items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            with z.open(info, "w", force_zip64=True) as f:
                for chunk in chunks():
                    f.write(chunk)
    return path


def declare_size(path: Path, member: str, declared: int) -> None:
    """Rewrite the uncompressed size a (non-zip64) member declares, in its local header and central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
        offset = z.start_dir
    data[info.header_offset + 22: info.header_offset + 26] = declared.to_bytes(4, "little")
    while data[offset: offset + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = (int.from_bytes(data[offset + i: offset + i + 2], "little") for i in (28, 30, 32))
        if data[offset + 46: offset + 46 + name_len] == member.encode():
            data[offset + 24: offset + 28] = declared.to_bytes(4, "little")
        offset += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))


def bomb_sheet(total_bytes: int):
    def chunks():
        yield _SHEET_HEAD + _header_row()
        row = b"<row>" + _inline("A2", "a") * 14 + b"</row>"
        block = row * ((1 << 20) // len(row))
        written = 0
        while written < total_bytes:
            yield block
            written += len(block)
        yield _SHEET_TAIL

    return chunks


def small_sheet():
    yield _SHEET_HEAD + _header_row() + _SHEET_TAIL


XLSX = "provincial/17329-hoso-20250806.xlsx"


def test_xlsx_bomb_by_ratio_is_refused_before_openpyxl(tmp_path: Path) -> None:
    write_raw_xlsx(tmp_path / XLSX, bomb_sheet(64 * MiB))
    message = refused(tmp_path, XLSX)
    assert "zip bomb refused: member 'xl/worksheets/sheet1.xml' inflates" in message
    assert "limit MAX_XLSX_RATIO = 100" in message


def test_xlsx_bomb_by_total_size_is_refused(tmp_path: Path) -> None:
    # 210 members of just under 1 MB (under the ratio floor): 210 MB declared in a file of a few hundred KB
    members = {f"xl/media/pad{i}.bin": (lambda: iter([b"\x00" * (limits.MAX_XLSX_RATIO_FLOOR_BYTES - 1)])) for i in range(210)}
    write_raw_xlsx(tmp_path / XLSX, small_sheet, members)
    assert "zip bomb refused: the members declare 210 MB uncompressed, more than 200 MB" in refused(tmp_path, XLSX)


def _random_text(n: int) -> bytes:
    return os.urandom(n // 2).hex().encode()


def test_xlsx_part_read_whole_is_limited_even_under_a_worksheet_name(tmp_path: Path) -> None:
    # sharedStrings.xml is read whole by openpyxl: 40 MB of incompressible text passes the ratio check, not the
    # part limit; hiding it under a worksheet-like name does not help.
    sst = lambda: iter([b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>',  # noqa: E731
                        _random_text(40 * MiB), b"</t></si></sst>"])  # fmt: skip
    for name in ("xl/sharedStrings.xml", "xl/worksheets/sheet2.xml"):
        path = write_raw_xlsx(
            tmp_path / name.replace("/", "_") / XLSX, small_sheet, {name: sst},
            ct_extra=f'<Override PartName="/{name}" ContentType="{_SST_TYPE}"/>',
        )  # fmt: skip
        root = path.parents[1]
        message = refused(root, XLSX)
        assert f"zip bomb refused: part '{name}' declares 40 MB, more than 32 MB for a part that is read whole" in message


def test_xlsx_other_compression_methods_are_refused(tmp_path: Path) -> None:
    members = {"xl/sharedStrings.xml": lambda: iter([b"<sst/>"])}
    write_raw_xlsx(tmp_path / XLSX, small_sheet, members, compression=zipfile.ZIP_BZIP2)
    assert "uses zip compression method 12 (XLSX uses stored or deflate)" in refused(tmp_path, XLSX)


def test_xlsx_member_that_lies_about_its_size_is_not_inflated_past_it(tmp_path: Path) -> None:
    # the sheet really inflates to 32 MB but declares 64 KB: every check passes, and zipfile stops at 64 KB
    path = write_raw_xlsx(tmp_path / XLSX, b"".join(bomb_sheet(32 * MiB)()))
    declare_size(path, "xl/worksheets/sheet1.xml", 64 * 1024)
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size == 64 * 1024
    assert "not a readable XLSX workbook" in refused(tmp_path, XLSX)


def test_xlsx_billion_laughs_is_refused(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )

    def sheet():
        yield f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'.encode()
        yield _SHEET_HEAD[_SHEET_HEAD.index(b"<worksheet"):] + _header_row()
        yield b'<row r="2">' + _inline("A2", "&lol9;") + b"</row>" + _SHEET_TAIL

    write_raw_xlsx(tmp_path / XLSX, sheet)
    assert "not a readable XLSX workbook (ParseError" in refused(tmp_path, XLSX)


def test_xlsx_sparse_sheet_does_not_expand(tmp_path: Path) -> None:
    def sparse():
        yield _SHEET_HEAD + _header_row()
        yield b'<row r="2">' + _inline("XFD2", "x") + b"</row>"  # the last column
        yield b'<row r="900000000">' + _inline("A900000000", "x") + b"</row>"  # far past Excel's last row
        yield _SHEET_TAIL

    write_raw_xlsx(tmp_path / XLSX, sparse)
    assert "the sheet goes past row 1,048,576 (MAX_XLSX_ROWS" in refused(tmp_path, XLSX)

    def wide():
        yield _SHEET_HEAD + _header_row()
        for r in range(2, 5002):
            yield f'<row r="{r}">'.encode() + _inline(f"XFD{r}", "x") + b"</row>"
        yield _SHEET_TAIL

    write_raw_xlsx(tmp_path / "w" / XLSX, wide)
    parsed = parse(by_relpath(tmp_path / "w")[XLSX], tmp_path / "w", KEY)
    assert parsed.frames["dossiers"].height == 0  # cells beyond the header's width are not read


# ---- CSV ----------------------------------------------------------------------------------------------------------

CSV = "provincial/17329-hoso-20250806.csv"


@pytest.mark.parametrize(
    "content, expected",
    [
        (CSV_HEADER + '1,000.17.29.H40-250804-0007,"' + "A" * (5 * MiB) + '",x\n',
         "line 2 is longer than 4 MB (limit MAX_CSV_RECORD_BYTES"),
        (CSV_HEADER + '1,000.17.29.H40-250804-0007,"' + ("A" * 99 + "\n") * 2000 + '",x\n',
         "a field starting after line 1 is longer than 131,072 characters (MAX_FIELD_CHARS"),
        (CSV_HEADER + CSV_ROW + '2,000.17.29.H40-250804-0008,"Đăng ký\n', "unterminated quoted field"),
        (",".join(f"c{i}" for i in range(1000)) + "\n", "the header row (line 1) has 1,000 cells, more than 256"),
        (CSV_HEADER.replace(",", ";") + CSV_ROW.replace(",", ";"), "the header row is separated by ';', expected ','"),
        (CSV_HEADER.replace(",", "\t") + CSV_ROW.replace(",", "\t"), "the header row is separated by a tab"),
        (CSV_HEADER + CSV_ROW.replace("Đăng ký", "Đăng\x00ký"), "it contains NUL bytes (line 2"),
        (CSV_HEADER + CSV_ROW.replace("Trực tiếp", "Trực tiếp,Nguyễn Văn Secret"),
         "line 2 has 16 cells, the header has 15"),
        (CSV_HEADER + CSV_ROW.replace("Đăng ký khai sinh", '"Đăng ký" khai sinh Secret'),
         "cannot be read as CSV: line 2: ',' expected after '\"'"),
        ("STT,Mã hồ sơ\r1,a\r2,b\r", "bare CR"),
    ],
    ids=["long-line", "long-field", "unterminated-quote", "1000-columns", "semicolon", "tab", "nul", "extra-cell",
         "text-after-quote", "bare-cr"],  # fmt: skip
)
def test_bad_csv_is_refused_with_line_and_no_value(tmp_path: Path, content: str, expected: str) -> None:
    write(tmp_path, CSV, content.encode("utf-8"))
    message = refused(tmp_path, CSV)
    assert expected in message
    assert "Secret" not in message and "AAAA" not in message  # values are never quoted


def test_csv_trailing_blank_cells_and_short_rows_load(tmp_path: Path) -> None:
    write(tmp_path, CSV, ("\ufeff" + CSV_HEADER + CSV_ROW.replace("\n", ",,\n") + "2,000.17.29.H40-250804-0009\n").encode())
    parsed = parse(by_relpath(tmp_path)[CSV], tmp_path, KEY)
    assert parsed.frames["dossiers"].get_column("dossier_code").to_list() == [
        "000.17.29.H40-250804-0007", "000.17.29.H40-250804-0009",
    ]  # fmt: skip
    assert any("1 row(s) with fewer cells than the header" in n for n in parsed.notes)


def test_csv_too_large_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_CSV_BYTES", 1000)
    size = write(tmp_path, CSV, (CSV_HEADER + CSV_ROW * 20).encode()).stat().st_size
    expected = f"file too large: {size:,} bytes, the limit for a CSV export is 1,000 bytes (MAX_CSV_BYTES)"
    assert expected in refused(tmp_path, CSV)


# ---- JSON ---------------------------------------------------------------------------------------------------------

JSON = "portal/hoso-20250701-01.json"


def test_json_nested_a_million_levels_is_refused(tmp_path: Path) -> None:
    n = 1_000_000
    write(tmp_path, JSON, b"[" * n + b"]" * n)
    assert "JSON nested more than 32 levels deep in its first 1 MB (limit MAX_JSON_DEPTH" in refused(tmp_path, JSON)
    write(tmp_path, JSON, b"[" * 1000 + b"]" * 1000)
    assert "JSON nested more than 32 levels deep in the file (limit MAX_JSON_DEPTH" in refused(tmp_path, JSON)
    write(tmp_path, JSON, b'[{"MaHoSo": "x", "Zzz": ' + b'{"a": ' * n + b"1" + b"}" * n + b"}]")
    assert "JSON nested more than 32 levels deep in its first 1 MB" in refused(tmp_path, JSON)


def test_json_depth_scan_skips_strings() -> None:
    assert json_depth((LANDING / "portal" / "hoso-20250701-01.json").read_bytes(), 32) == 4  # the feed's shape
    assert json_depth(b'[{"a": "[[[[[[[[[[{{{{{{{\\"[[[[[["}]', 3) == 2
    assert json_depth(b'[{"a": "unterminated [[[[[[[[[[', 3) == 2
    assert json_depth(b"[" * 100, 32) == 33  # stops at the limit


def test_json_huge_single_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / JSON
    path.parent.mkdir(parents=True)
    with open(path, "wb") as f:
        f.write(b'[{"MaHoSo": "x", "TenTTHC": "')
        f.write(b"A" * (20 * MiB))
        f.write(b'"}]')
    assert refused(tmp_path, JSON).endswith("record 0: TenTTHC is longer than 131,072 characters (MAX_FIELD_CHARS)")
    path.write_bytes(b'[{"MaHoSo": "x", "TenTTHC": "' + b"A" * (40 * MiB) + b'"}]')
    message = refused(tmp_path, JSON)
    assert "a record is larger than 32 MB (DuckDB's maximum_object_size, MAX_JSON_OBJECT_BYTES)" in message


def test_json_escaped_nul_is_neutralised_and_noted(tmp_path: Path) -> None:
    record = json.loads(GOOD_JSON)[0]
    record["TenTTHC"] = "Đăng ký\u0000khai sinh"
    write(tmp_path, JSON, json.dumps([record]).encode())
    parsed = parse(by_relpath(tmp_path)[JSON], tmp_path, KEY)
    assert parsed.frames["dossiers"].get_column("procedure_name").to_list() == ["Đăng ký\ufffdkhai sinh"]
    assert parsed.notes == [f"{JSON}: NUL characters (\\u0000) replaced by U+FFFD in dossiers: procedure_name (1)"]
    write(tmp_path, JSON, json.dumps([record]).encode().replace(b"\\u0000", b"\x00"))
    assert "not valid JSON: a raw control character (a NUL byte?) inside a string" in refused(tmp_path, JSON)


# ---- peak memory of parsing the big hostile files, each in its own process ----------------------------------------

_CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from sources import SourceError, discover, parse
landing, relpath = Path(sys.argv[2]), sys.argv[3]
source = next(s for s in discover(landing) if s.relpath == relpath)
try:
    parsed = parse(source, landing, "k")
    out = {"outcome": "parsed", "records": parsed.records}
except SourceError as error:
    out = {"outcome": "refused", "message": str(error)}
# VmHWM: the peak RSS of this process's own address space. (ru_maxrss is not used: Linux carries the parent's RSS
# at fork over the exec, so a child of a big pytest process would report the parent's size.)
status = Path("/proc/self/status").read_text()
hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), None)
out["maxrss_mb"] = int(hwm) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _big_json_line(path: Path) -> None:  # 400 MB on one line: one string value
    with open(path, "wb") as f:
        f.write(b'[{"MaHoSo": "x", "TenTTHC": "')
        block = b"A" * MiB
        for _ in range(400):
            f.write(block)
        f.write(b'"}]')


def _deep_json(path: Path) -> None:  # a million levels of objects
    n = 1_000_000
    path.write_bytes(b'[{"MaHoSo": "x", "TaiLieuNop": ' + b'{"a": ' * n + b"1" + b"}" * n + b"}]")


def _deep_json_late(path: Path) -> None:  # past the depth scan: 1.2 MB of ordinary records, then 3.9M levels (8 MB)
    record = json.dumps(json.loads(GOOD_JSON)[0]).encode()
    n = 3_900_000
    path.write_bytes(b"[" + (record + b", ") * (1_200_000 // len(record) + 1)
                     + b'{"MaHoSo": "b", "Zzz": ' + b"[" * n + b"]" * n + b"}]")  # fmt: skip


def _big_csv_line(path: Path) -> None:  # 250 MB on one line
    with open(path, "wb") as f:
        f.write(("\ufeff" + CSV_HEADER).encode() + b'1,000.17.29.H40-250804-0007,"')
        block = b"A" * MiB
        for _ in range(250):
            f.write(block)
        f.write(b'",1.001234,,UBND Xa Anh Son,x,,,,04/08/2025,,,,\n')


def _big_csv_field(path: Path) -> None:  # 250 MB in one quoted field of short lines
    with open(path, "wb") as f:
        f.write(("\ufeff" + CSV_HEADER).encode() + b'1,000.17.29.H40-250804-0007,"')
        block = (b"A" * 99 + b"\n") * (MiB // 100)
        for _ in range(250):
            f.write(block)
        f.write(b'",1.001234,,UBND Xa Anh Son,x,,,,04/08/2025,,,,\n')


def _xlsx_bomb(path: Path) -> None:  # 1 GB sheet in a 4 MB file
    write_raw_xlsx(path, bomb_sheet(1024 * MiB))


def _json_30mb_value(path: Path) -> None:  # one value just under DuckDB's record bound: refused as it is read
    path.write_bytes(b'[{"MaHoSo": "x", "TenTTHC": "' + b"A" * (30 * MiB) + b'"}]')


def _json_16_30mb_values(path: Path) -> None:  # 480 MB of such records: refused at the first, not after all
    with open(path, "wb") as f:
        f.write(b"[")
        for i in range(16):
            f.write((b"," if i else b"") + b'{"MaHoSo": "x", "TenTTHC": "' + b"A" * (30 * MiB) + b'"}')
        f.write(b"]")


# (builder, relpath, expected message part or None when it parses, bound on the child's peak RSS in MB)
# Measured over three runs (VmHWM; duckdb 2.0.1, polars 2.1.0, openpyxl 3.1.5, Python 3.11; imports included):
# json-400MB-line 133-135, json-million-deep 134-135, json-deep-after-scan 290-334, json-30MB-value 133,
# json-16x30MB-values 135, csv-250MB-line 81, csv-250MB-field 77, xlsx-1GB-bomb 88. Each bound is the measurement
# plus a margin, all far under the 1.5 GB ceiling of the brief.
MEMORY_CASES = {
    "json-400MB-line": (_big_json_line, JSON, "a record is larger than 32 MB", 250),
    "json-million-deep": (_deep_json, JSON, "JSON nested more than 32 levels deep", 250),
    "json-deep-after-scan": (_deep_json_late, JSON, None, 500),
    "json-30MB-value": (_json_30mb_value, JSON, "record 0: TenTTHC is longer than 131,072 characters", 250),
    "json-16x30MB-values": (_json_16_30mb_values, JSON, "record 0: TenTTHC is longer than 131,072 characters", 250),
    "csv-250MB-line": (_big_csv_line, CSV, "line 2 is longer than 4 MB", 200),
    "csv-250MB-field": (_big_csv_field, CSV, "longer than 131,072 characters", 200),
    "xlsx-1GB-bomb": (_xlsx_bomb, XLSX, "zip bomb refused", 200),
}


@pytest.mark.parametrize("case", list(MEMORY_CASES))
def test_hostile_parse_has_bounded_memory(tmp_path: Path, case: str) -> None:
    build, relpath, expected, bound_mb = MEMORY_CASES[case]
    path = tmp_path / relpath
    path.parent.mkdir(parents=True)
    build(path)
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), str(tmp_path), relpath],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr[-2000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"{case}: peak RSS {out['maxrss_mb']:.0f} MB, {out['outcome']}")
    if expected is None:
        assert out["outcome"] == "parsed"
    else:
        assert out["outcome"] == "refused" and expected in out["message"]
        assert out["message"].startswith(relpath + ": ") and "\n" not in out["message"]
    assert out["maxrss_mb"] < min(bound_mb, CEILING_MB)
