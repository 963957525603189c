"""Parser of the national-portal sync feed: `portal/hoso-*.json` and `portal/xuly-*.json` (contract §2.1, §3.1-3.2).

DuckDB reads the JSON array with an explicit column list (every scalar VARCHAR, nested lists STRUCT[] of VARCHAR),
and SQL turns it into the canonical frames: `dossiers` (one row per record) and its children `documents`, `fees`,
`results`, `identities`, `supplements`, `databases` (one row per list element, keyed by dossier_code, source_file,
source_row, position), or `processing_steps` for a history file. No Python loop per record. Personal values are
hashed inside the SQL and never reach a returned frame; free text (TrichYeuHoSo, GhiChu, ThongTinTra, ThongTinKhac,
Fax, MaDoiTuong, NoiDungYeuCau) is not carried, file paths and result links only as whether one is there
(`has_file`, `has_file_link`); attachment names, result-document names and step notes are keyed pseudonyms, the other
free text is scrubbed of ID, phone and e-mail patterns, and codes are identifiers (sources/text.py). A file DuckDB
cannot read is refused with a reason that never repeats DuckDB's text (it can quote the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

from sources import files, limits
from sources.duck import clean_error, connect, to_polars, with_ordinality
from sources.errors import SourceError
from sources.files import SourceFile
from sources.sniff import describe
from sources.labels import (
    APPLICANT_TYPE_CODES,
    CHANNEL_CODES,
    EMPTY_CHANNEL,
    FLAG_FALSE,
    FLAG_TRUE,
    PAID_ONLINE_CODES,
    STATUS_CODES,
)
from sources.lineage import lineage_exprs
from sources.pii import KEY_PARAM, pii_hash_of_trimmed_sql, trim_sql
from sources.schema import conform
from sources.text import duckdb_path, identifier_sql, scrub_sql

SOURCE_FORMAT = "portal_json"

# ---- the shape of the feed (DATA_WORLD §3.1) --------------------------------------------------------------------
# The one declaration of the portal's fields: the generator (samples/portal.py) and the floor benchmark
# (bench/floor.py) import these.

# Every field of a sync-batch record, in the order the portal sends them (every scalar a string).
PORTAL_FIELDS = (
    "MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien", "SoGiayToChuHoSo", "ChuHoSo",
    "LoaiDoiTuong", "MaDoiTuong", "ThongTinKhac", "Email", "Fax", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan",
    "NgayHenTra", "TrangThaiHoSo", "NgayTra", "ThongTinTra", "HinhThuc", "NgayKetThucXuLy", "DonViXuLy", "GhiChu",
    "TaiLieuNop", "DanhSachLePhi", "DanhSachTepDinhKemKhac", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
    "NoiNopHoSo", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "NgayTuChoi",
    "DinhDanhCHS", "NgayNopHoSo", "DSKetNoiCSDL",
)  # fmt: skip
# The fields that are lists of objects, with the fields of their objects.
PORTAL_LISTS: dict[str, tuple[str, ...]] = {
    "TaiLieuNop": (
        "TepDinhKemId", "TenTepDinhKem", "IsDeleted", "MaThanhPhanHoSo", "DuongDanTaiTepTin", "DuocSoHoa",
        "DuocTaiSuDung", "DuocLayTuKhoDMQG", "MaKetQuaThayThe",
    ),  # fmt: skip
    "DanhSachLePhi": ("TenPhiLePhi", "MaPhiLePhi", "HinhThucThu", "Gia", "LoaiPhiLePhi"),
    "DanhSachTepDinhKemKhac": ("TepDinhKemId", "TenTepDinhKem", "DuongDanTaiTepTin"),
    "DanhSachHoSoBoSung": ("NgayYeuCauBoSung", "NoiDungYeuCau", "NgayNopBoSung"),
    "DanhSachGiayToKetQua": ("TenGiayTo", "MaThanhPhanHoSo", "GiayToId", "DuongDanTepTinKetQua", "MaGiayToKetQua"),
    "DinhDanhCHS": ("LoaiDinhDanh", "SoDinhDanh"),
    "DSKetNoiCSDL": ("MaCSDL", "TenCSDL"),
}
# The fields of a processing-history record (`portal/xuly-*.json`).
HISTORY_FIELDS = (
    "MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai", "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
)  # fmt: skip

# Not read at all: free text, identifiers and lists that are not carried (NoiDungYeuCau: a clerk's request, may name
# the citizen). TrichYeuHoSo is read only to set is_test while the file is loaded (`_RAW_DOSSIERS_EXTRA`); it is not
# kept. The paths DuongDanTaiTepTin and DuongDanTepTinKetQua are read only to say whether there is one (`_present`).
_NOT_READ = {"MaDoiTuong", "ThongTinKhac", "Fax", "ThongTinTra", "GhiChu", "NoiDungYeuCau",
             "DanhSachTepDinhKemKhac"}
_SUMMARY = "TrichYeuHoSo"
DOSSIER_SCALARS = tuple(name for name in PORTAL_FIELDS if name not in PORTAL_LISTS)
_FILE_SCALARS = frozenset(DOSSIER_SCALARS) | frozenset(HISTORY_FIELDS)
DOSSIER_LISTS = {name: fields for name, fields in PORTAL_LISTS.items() if name not in _NOT_READ}


def _columns_sql(scalars: tuple[str, ...], lists: dict[str, tuple[str, ...]]) -> str:
    items = [f"'{name}': 'VARCHAR'" for name in scalars if name not in _NOT_READ]
    for name, fields in lists.items():
        struct = ", ".join(f'"{field}" VARCHAR' for field in fields if field not in _NOT_READ)
        items.append(f"'{name}': 'STRUCT({struct})[]'")
    return "{" + ", ".join(items) + "}"


# ---- SQL fragments ----------------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f'"{name}"'


_TRIMMED = "__trimmed"


def _read_scalars(scalars: tuple[str, ...]) -> list[str]:
    """The scalars of `scalars` that table `raw` holds."""
    return [name for name in scalars if name not in _NOT_READ and name != _SUMMARY]


def _with_trimmed(scalars: tuple[str, ...]) -> str:
    """A FROM item: table `raw` with each of its scalars also trimmed, as `<name>__trimmed` (the value `_code`
    gives). A query that uses a scalar's trimmed value several times (a date is tested, parsed and shown) computes
    it once per row; what a query does not use is not computed."""
    trimmed = ", ".join(f"{trim_sql(_q(name))} AS {_q(name + _TRIMMED)}" for name in _read_scalars(scalars))
    return f"(SELECT *, {trimmed} FROM raw) AS raw"


def _code(column: str) -> str:
    """Trimmed string, "" -> NULL: a scalar of the file from `_with_trimmed`, a field of a list element (`e.X`)
    trimmed here."""
    if column in _FILE_SCALARS:
        return _q(column + _TRIMMED)
    return trim_sql(column)


def _hash(column: str) -> str:
    """The keyed hash of `column` (sources/pii.py), trimmed as `_code` trims it."""
    return pii_hash_of_trimmed_sql(_code(column))


def _raw(column: str) -> str:
    """The string as read (identifiers and e-mail addresses scrubbed, sources/text.py), NULL when empty."""
    return f"CASE WHEN {_code(column)} IS NULL THEN NULL ELSE {scrub_sql(column)} END"


def _id(column: str) -> str:
    """An identifier: NFC, invisible characters at the ends removed, "" -> NULL (sources/text.py)."""
    return identifier_sql(column)


def _text(column: str) -> str:
    """Free text that is kept: trimmed, "" -> NULL, identifiers and e-mail addresses scrubbed."""
    return scrub_sql(_code(column))


def _date_raw(column: str) -> str:
    """The date as read when it parsed; scrubbed like free text when it did not (a misplaced value)."""
    return f"CASE WHEN {_code(column)} IS NULL THEN NULL WHEN ({_ts(column)}) IS NULL THEN {scrub_sql(column)} ELSE {column} END"


def _lookup(column: str, table: dict[str, int], sql_type: str = "TINYINT") -> str:
    whens = " ".join(f"WHEN '{raw}' THEN {code}" for raw, code in table.items())
    return f"CAST(CASE {_code(column)} {whens} END AS {sql_type})"


def _channel(column: str) -> str:
    """Empty -> 1 (in person), a known code -> itself, anything else -> NULL."""
    known = _lookup(column, CHANNEL_CODES)
    return f"CAST(CASE WHEN {_code(column)} IS NULL THEN {EMPTY_CHANNEL} ELSE {known} END AS TINYINT)"


def _flag(column: str) -> str:
    value = f"lower({_code(column)})"
    trues = ", ".join(f"'{v}'" for v in FLAG_TRUE)
    falses = ", ".join(f"'{v}'" for v in FLAG_FALSE)
    return f"CASE WHEN {value} IN ({trues}) THEN TRUE WHEN {value} IN ({falses}) THEN FALSE END"


def _paid_online(column: str) -> str:
    """1 or 2 -> TRUE, any other value -> FALSE, empty -> NULL."""
    codes = ", ".join(f"'{v}'" for v in PAID_ONLINE_CODES)
    return f"CASE WHEN {_code(column)} IS NULL THEN NULL ELSE {_code(column)} IN ({codes}) END"


def _ts(column: str) -> str:
    """yyyyMMddHHmmss local time -> TIMESTAMPTZ (the session time zone is Asia/Ho_Chi_Minh); else NULL."""
    value = _code(column)
    return (
        f"CASE WHEN regexp_full_match({value}, '[0-9]{{14}}') "
        f"THEN CAST(try_strptime({value}, '%Y%m%d%H%M%S') AS TIMESTAMPTZ) END"
    )


def _present(column: str) -> str:
    """Whether the value is there (not empty after trimming): the value itself is not carried (a file path or link
    can identify a case). FALSE when the field is empty or absent from the element, never NULL."""
    return f"({_code(column)} IS NOT NULL)"


def _contains_test(column: str) -> str:
    return f"coalesce(contains(lower({column}), 'test'), FALSE)"


_TIMESTAMPS = {
    "submitted_at": "NgayNopHoSo",
    "received_at": "NgayTiepNhan",
    "due_at": "NgayHenTra",
    "processed_at": "NgayKetThucXuLy",
    "returned_at": "NgayTra",
    "refused_at": "NgayTuChoi",
}

_DOSSIERS_SQL = f"""
SELECT
    {_id('MaHoSo')} AS dossier_code,
    {_id('MaTTHC')} AS procedure_code,
    {_text('TenTTHC')} AS procedure_name,
    {_id('MaLinhVuc')} AS field_code,
    {_text('TenLinhVuc')} AS field_name,
    {_text('DonViXuLy')} AS unit_name,
    {_channel('KenhThucHien')} AS channel,
    {_raw('KenhThucHien')} AS channel_raw,
    {_lookup('TrangThaiHoSo', STATUS_CODES)} AS status,
    {_raw('TrangThaiHoSo')} AS status_raw,
    {_lookup('LoaiDoiTuong', APPLICANT_TYPE_CODES)} AS applicant_type,
    {", ".join(f"{_ts(src)} AS {name}" for name, src in _TIMESTAMPS.items())},
    {", ".join(f"{_date_raw(src)} AS {name}_raw" for name, src in _TIMESTAMPS.items())},
    {_text('HinhThuc')} AS result_form,
    {_text('NoiNopHoSo')} AS submit_place,
    {_flag('HoSoCoThanhPhanSoHoa')} AS has_digitised_component,
    {_flag('TaiKhoanDuocXacThucVoiVNeID')} AS vneid_verified,
    {_paid_online('DuocThanhToanTrucTuyen')} AS paid_online,
    {_hash('SoGiayToChuHoSo')} AS owner_id_hash,
    CAST(length({_code('SoGiayToChuHoSo')}) AS SMALLINT) AS owner_id_length,
    {_hash('ChuHoSo')} AS owner_name_hash,
    {_hash('SoDienThoai')} AS phone_hash,
    {_hash('Email')} AS email_hash,
    CAST(NULL AS VARCHAR) AS address_hash,
    {_contains_test('MaHoSo')} OR summary_says_test AS is_test,
    source_row
FROM {_with_trimmed(DOSSIER_SCALARS)}
ORDER BY source_row
"""


def _child_sql(list_column: str, fields: dict[str, str]) -> str:
    """One row per non-null element of `list_column`, position 0-based in the list as sent."""
    selected = ",\n    ".join(f"{expr} AS {name}" for name, expr in fields.items())
    return f"""
WITH elements AS (
    SELECT source_row, {_id('MaHoSo')} AS dossier_code,
           unnest({_q(list_column)}) AS e, generate_subscripts({_q(list_column)}, 1) - 1 AS position
    FROM raw
)
SELECT dossier_code, CAST(position AS INTEGER) AS position,
    {selected},
    source_row
FROM elements
WHERE e IS NOT NULL
ORDER BY source_row, position
"""


def _amount(column: str) -> str:
    value = _code(column)
    return f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,18}}(\\.0*)?') THEN CAST({value} AS DECIMAL(18, 0)) END"


_KEYED_CHILDREN = ("documents", "results", "identities")  # their SQL holds keyed hashes ($pii_key)

_CHILDREN_SQL: dict[str, str] = {
    "documents": _child_sql(
        "TaiLieuNop",
        {
            "file_id": _code("e.TepDinhKemId"),
            "file_name": _hash("e.TenTepDinhKem"),  # a citizen's own name for the upload: pseudonym
            "is_deleted": _flag("e.IsDeleted"),
            "component_code": _id("e.MaThanhPhanHoSo"),
            "is_digitised": _flag("e.DuocSoHoa"),
            "is_reused": _flag("e.DuocTaiSuDung"),
            "from_national_store": _flag("e.DuocLayTuKhoDMQG"),
            "replaced_by_result_code": _id("e.MaKetQuaThayThe"),
            "has_file": _present("e.DuongDanTaiTepTin"),  # the path is not kept
        },
    ),
    "fees": _child_sql(
        "DanhSachLePhi",
        {
            "fee_name": _text("e.TenPhiLePhi"),
            "fee_code": _id("e.MaPhiLePhi"),
            "collect_form": _text("e.HinhThucThu"),
            "amount": _amount("e.Gia"),
            "fee_type": _text("e.LoaiPhiLePhi"),
        },
    ),
    "results": _child_sql(
        "DanhSachGiayToKetQua",
        {
            "document_name": _hash("e.TenGiayTo"),  # often names the person it is issued to: pseudonym
            "component_code": _id("e.MaThanhPhanHoSo"),
            "document_id": _code("e.GiayToId"),
            "result_code": _id("e.MaGiayToKetQua"),
            "has_file_link": _present("e.DuongDanTepTinKetQua"),  # the link is not kept
        },
    ),
    "identities": _child_sql(
        "DinhDanhCHS",
        {"id_type": _code("e.LoaiDinhDanh"), "id_hash": _hash("e.SoDinhDanh")},
    ),
    # NoiDungYeuCau (what was asked, a clerk's text that may name the citizen) is not read
    "supplements": _child_sql(
        "DanhSachHoSoBoSung",
        {"requested_at": _ts("e.NgayYeuCauBoSung"), "resubmitted_at": _ts("e.NgayNopBoSung")},
    ),
    "databases": _child_sql(
        "DSKetNoiCSDL",
        {"database_code": _id("e.MaCSDL"), "database_name": _text("e.TenCSDL")},
    ),
}

# The frames of a dossier batch, in the order parse_dossiers returns them (sources/registry.py names them from here).
DOSSIER_FRAMES = ("dossiers", *_CHILDREN_SQL)

_HISTORY_SQL = f"""
SELECT
    {_id('MaHoSo')} AS dossier_code,
    {_hash('NguoiXuLy')} AS handler_hash,
    {_text('ChucDanh')} AS handler_title,
    {_ts('ThoiDiemXuLy')} AS handled_at,
    {_text('PhongBanXuLy')} AS department,
    {_hash('NoiDungXuLy')} AS action,  -- a clerk's note, may name the citizen: pseudonym
    {_text('TrangThai')} AS status,
    {_ts('NgayBatDau')} AS started_at,
    {_ts('NgayKetThucTheoQuyDinh')} AS deadline_at,
    source_row
FROM {_with_trimmed(HISTORY_FIELDS)}
ORDER BY source_row
"""

# ---- reading ----------------------------------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
_JSON_WS = b" \t\r\n"


def check_json_array(path: Path, relpath: str) -> None:
    """Refuse, with a clear reason, a file that cannot be a JSON array: empty, too large, binary, HTML, an object,
    other text, or nested deeper than MAX_JSON_DEPTH within its first JSON_DEPTH_SCAN_BYTES. A `.gz` file is
    checked on its decompressed content (sources/files.py), against the same limits."""
    _, last = files.content_extent(path, relpath, limits.MAX_JSON_BYTES, "MAX_JSON_BYTES", "a JSON batch",
                                   "a JSON array of dossier objects", _JSON_WS)
    with files.open_content(path, relpath) as f:
        head = f.read(limits.JSON_DEPTH_SCAN_BYTES)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
            raise SourceError(relpath, "not UTF-8 text: UTF-16 (the feed is UTF-8 JSON)")
        what = describe(head)
        if what is not None and "HTML" not in what and "XML" not in what:
            raise SourceError(relpath, f"not JSON: the file is {what}")
        head = head.removeprefix(_BOM)
        first = head.lstrip(_JSON_WS)[:1]
        while not first:
            block = f.read(1 << 20)
            if not block:
                raise SourceError(relpath, "empty file (only whitespace), expected a JSON array of dossier objects")
            first = block.lstrip(_JSON_WS)[:1]
    if first == b"<":
        raise SourceError(relpath, "not JSON: the file starts with '<' (an HTML or XML page saved as .json?)")
    if first == b"{":
        raise SourceError(relpath, "not a JSON array: the top level is an object, expected an array of objects")
    if first != b"[":
        raise SourceError(relpath, f"not a JSON array: the file starts with {first.decode('latin-1')!r}, expected '['")
    if last != b"]":
        # DuckDB reads an array cut after a complete record ("[{...}, {...},") without complaint: a truncated
        # batch would load part of its records.
        shown = repr(last.decode("latin-1")) if last else "nothing"
        raise SourceError(
            relpath,
            f"not valid JSON (truncated or corrupt): the array is not closed, the file ends with {shown} instead of ']'",
        )
    depth = json_depth(head, limits.MAX_JSON_DEPTH)
    if depth > limits.MAX_JSON_DEPTH:
        scanned = "the file" if len(head) < limits.JSON_DEPTH_SCAN_BYTES else f"its first {limits.mib(len(head))}"
        raise SourceError(
            relpath,
            f"JSON nested more than {limits.MAX_JSON_DEPTH} levels deep in {scanned} (limit MAX_JSON_DEPTH; "
            "the feed has 4: array, dossier, list, element)",
        )


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(data: bytes, stop_above: int) -> int:
    """Greatest bracket depth of JSON text outside strings (at most stop_above + 1: the scan stops there).

    C-speed passes (escapes, then whole strings, then everything but brackets removed) leave only the brackets; a
    string cut by the end of `data` is dropped from its opening quote.
    """
    text = _STRING.sub(b"", _ESCAPE.sub(b"", data))
    if b'"' in text:
        text = text[: text.index(b'"')]
    depth = deepest = 0
    for byte in text.translate(None, _NOT_BRACKET):
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


# dossier files: the summary (free text) only says whether the dossier is a test; it is not kept (`_SUMMARY`)
_RAW_DOSSIERS_EXTRA = f"{_contains_test(_SUMMARY)} AS summary_says_test"


def _guarded(column: str) -> str:
    """The column, or DuckDB error() as soon as a value is longer than MAX_FIELD_CHARS: the read stops at the first
    such value, before the rest of the file is materialised."""
    limit = int(limits.MAX_FIELD_CHARS)
    message = f"': {column} is longer than {limit:,} characters (MAX_FIELD_CHARS)'"
    return (
        f'CASE WHEN strlen("{column}") > {limit} AND length("{column}") > {limit} THEN error(\'record \' || (ordinality - 1) || {message}) '
        f'ELSE "{column}" END AS "{column}"'
    )


def _load_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    relpath: str,
    scalars: tuple[str, ...],
    lists: dict[str, tuple[str, ...]],
    extra: str = "",
) -> None:
    """Table `raw`: the file's records with `source_row` (0-based position in the array), the scalars that are
    read (every text value at most MAX_FIELD_CHARS), the lists, and `extra` expressions."""
    check_json_array(path, relpath)
    kept = _read_scalars(scalars)
    select = ", ".join(["ordinality - 1 AS source_row", *map(_guarded, kept), *(f'"{n}"' for n in lists)]
                       + ([extra] if extra else []))  # fmt: skip
    records = with_ordinality(f"read_json($path, format = 'array', columns = {_columns_sql(scalars, lists)}, "
                              f"compression = $compression, maximum_object_size = {int(limits.MAX_JSON_OBJECT_BYTES)})")
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE raw AS
            SELECT {select}
            FROM {records}
            """,
            {"path": duckdb_path(path), "compression": files.duckdb_compression(relpath)},
        )
    except duckdb.Error as error:
        raise SourceError(relpath, _read_json_reason(error, con, path, relpath, lists)) from None


# The parse errors DuckDB's JSON reader gives, as it words them: only these words are repeated in a reason. A reason
# never carries the text of the file (a value may be personal): it names the file, a position and a field.
_JSON_PROBLEMS = (
    "unexpected character", "unexpected control character in string", "invalid escaped character in string",
    "invalid UTF-8 encoding in string", "number with leading zero is not allowed", "unexpected end of data",
    "unexpected content after document", "invalid number", "invalid literal", "no digit after decimal point",
    "no digit after exponent sign", "number is too large", "unclosed string", "unexpected end of input",
)  # fmt: skip
_AT_BYTE = re.compile(r"at byte (\d+)")


def _read_json_reason(error: duckdb.Error, con: duckdb.DuckDBPyConnection, path: Path, relpath: str,
                      lists: dict[str, tuple[str, ...]]) -> str:
    """The one-line reason for a file DuckDB could not read: what is wrong and where (byte offset, or record
    position and field), never the text DuckDB quotes."""
    reason = clean_error(error)
    if "(MAX_FIELD_CHARS)" in reason:
        match = re.search(r"record (\d+): (\w+) is longer than", reason)
        if match:
            return f"record {match.group(1)}: {match.group(2)} is longer than {int(limits.MAX_FIELD_CHARS):,} characters (MAX_FIELD_CHARS)"
        return f"a value is longer than {int(limits.MAX_FIELD_CHARS):,} characters (MAX_FIELD_CHARS)"
    if "maximum_object_size" in reason:
        return (
            f"a record is larger than {limits.mib(2 * limits.MAX_JSON_OBJECT_BYTES)} (DuckDB's maximum_object_size, "
            "MAX_JSON_OBJECT_BYTES): a huge value, or not an array of dossier records"
        )
    at = _AT_BYTE.search(reason)
    where = f" at byte {at.group(1)}" if at else ""
    problem = next((p for p in sorted(_JSON_PROBLEMS, key=len, reverse=True) if p in reason), None)
    if "control character" in reason:
        return f"not valid JSON: a raw control character (a NUL byte?) inside a string{where}"
    if "Malformed JSON" in reason:
        return f"not valid JSON (truncated or corrupt): {problem or 'malformed'}{where}"
    if "transform error" in reason or "Expected OBJECT" in reason or "Expected ARRAY" in reason:
        return f"a record does not have the portal shape (every element an object, lists as arrays): {_shape_problem(con, path, relpath, lists)}"
    return f"cannot be read as a JSON array of objects ({type(error).__name__})"


def _shape_problem(con: duckdb.DuckDBPyConnection, path: Path, relpath: str, lists: dict[str, tuple[str, ...]]) -> str:
    """Where the first record of the wrong shape is: 'record N is not an object' or 'record N: field F ...'.
    A second read of the file, each element as JSON, only after the first read failed."""
    checks = ["CASE WHEN json_type(json) <> 'OBJECT' THEN 'is not an object' END"]
    for name in lists:
        checks.append(
            f"CASE WHEN json_type(json, '$.{name}') NOT IN ('ARRAY', 'NULL') THEN ': {name} is not a list' "
            f"WHEN len(list_filter(CAST(json_extract(json, '$.{name}[*]') AS JSON[]), "
            f"lambda x: json_type(x) NOT IN ('OBJECT', 'NULL'))) > 0 THEN ': {name} holds an element that is not an object' END"
        )
    elements = with_ordinality("read_json($path, format = 'array', records = 'false', columns = {'json': 'JSON'}, "
                               f"compression = $compression, maximum_object_size = {int(limits.MAX_JSON_OBJECT_BYTES)})")
    try:
        row = con.execute(
            f"""SELECT source_row, problem FROM (
                    SELECT ordinality - 1 AS source_row, coalesce({", ".join(checks)}) AS problem
                    FROM {elements})
                WHERE problem IS NOT NULL ORDER BY source_row LIMIT 1""",
            {"path": duckdb_path(path), "compression": files.duckdb_compression(relpath)},
        ).fetchone()
    except duckdb.Error:
        row = None
    if row is None:
        return "a value of the wrong type"
    position, problem = row
    return f"record {position} {problem}" if problem.startswith("is") else f"record {position}{problem}"


_NUL = "\x00"


def neutralise_nul(frames: dict[str, pl.DataFrame], relpath: str) -> list[str]:
    """A JSON string may carry an escaped NUL (\\u0000): it is replaced by U+FFFD in every text column (it would
    truncate the value in C-string consumers) and counted in a note. Hashes were computed on the value as sent."""
    notes = []
    for name, df in frames.items():
        text_columns = [c for c, t in df.schema.items() if t == pl.String]
        if not text_columns or df.height == 0:
            continue
        counts = df.select(pl.col(text_columns).str.contains(_NUL, literal=True).sum()).row(0, named=True)
        hit = {c: n for c, n in counts.items() if n}
        if not hit:
            continue
        frames[name] = df.with_columns(pl.col(list(hit)).str.replace_all(_NUL, "\ufffd", literal=True))
        where = ", ".join(f"{c} ({n})" for c, n in hit.items())
        notes.append(f"{relpath}: NUL characters (\\u0000) replaced by U+FFFD in {name}: {where}")
    return notes


def _finish(df: pl.DataFrame, name: str, source: SourceFile) -> pl.DataFrame:
    return conform(df.with_columns(lineage_exprs(source, SOURCE_FORMAT)), name)


def parse_dossiers(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """`portal/hoso-*.json` -> ({name: frame for name in DOSSIER_FRAMES}, notes)."""
    con = connect()
    try:
        _load_raw(con, source.path, source.relpath, DOSSIER_SCALARS, DOSSIER_LISTS, _RAW_DOSSIERS_EXTRA)
        params = {KEY_PARAM: pii_key}
        frames = {"dossiers": _finish(to_polars(con, _DOSSIERS_SQL, params), "dossiers", source)}
        for name, sql in _CHILDREN_SQL.items():
            frames[name] = _finish(to_polars(con, sql, params if name in _KEYED_CHILDREN else None), name, source)
    finally:
        con.close()
    notes = neutralise_nul(frames, source.relpath)
    return frames, notes


def parse_history(source: SourceFile, pii_key: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """`portal/xuly-*.json` -> ({"processing_steps"}, notes)."""
    con = connect()
    try:
        _load_raw(con, source.path, source.relpath, HISTORY_FIELDS, {})
        df = to_polars(con, _HISTORY_SQL, {KEY_PARAM: pii_key})
    finally:
        con.close()
    frames = {"processing_steps": _finish(df, "processing_steps", source)}
    notes = neutralise_nul(frames, source.relpath)
    return frames, notes
