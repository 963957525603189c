"""Parser of the national-portal sync feed: `portal/hoso-*.json` and `portal/xuly-*.json` (contract §2.1, §3.1-3.2).

DuckDB reads the JSON array with an explicit column list (every scalar VARCHAR, nested lists STRUCT[] of VARCHAR),
and SQL turns it into the canonical frames: `dossiers` (one row per record) and its children `documents`, `fees`,
`results`, `identities` (one row per list element, keyed by dossier_code, source_file, source_row, position), or
`processing_steps` for a history file. No Python loop per record. Personal values are hashed inside the SQL and
never reach a returned frame; free text (TrichYeuHoSo, GhiChu, ThongTinTra, ThongTinKhac, Fax, MaDoiTuong,
file paths) is not carried.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from sources.discover import SourceFile
from sources.duck import clean_error, connect, to_polars
from sources.errors import SourceError
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
from sources.pii import KEY_PARAM, pii_hash_sql, trim_sql
from sources.schema import conform

SOURCE_FORMAT = "portal_json"

# ---- the shape of the feed (DATA_WORLD §3.1) --------------------------------------------------------------------

DOSSIER_SCALARS = (
    "MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien", "SoGiayToChuHoSo", "ChuHoSo",
    "LoaiDoiTuong", "MaDoiTuong", "ThongTinKhac", "Email", "Fax", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan",
    "NgayHenTra", "TrangThaiHoSo", "NgayTra", "ThongTinTra", "HinhThuc", "NgayKetThucXuLy", "DonViXuLy", "GhiChu",
    "NoiNopHoSo", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "NgayTuChoi",
    "NgayNopHoSo",
)  # fmt: skip
DOSSIER_LISTS: dict[str, tuple[str, ...]] = {
    "TaiLieuNop": (
        "TepDinhKemId", "TenTepDinhKem", "IsDeleted", "MaThanhPhanHoSo", "DuongDanTaiTepTin", "DuocSoHoa",
        "DuocTaiSuDung", "DuocLayTuKhoDMQG", "MaKetQuaThayThe",
    ),  # fmt: skip
    "DanhSachLePhi": ("TenPhiLePhi", "MaPhiLePhi", "HinhThucThu", "Gia", "LoaiPhiLePhi"),
    "DanhSachGiayToKetQua": ("TenGiayTo", "MaThanhPhanHoSo", "GiayToId", "DuongDanTepTinKetQua", "MaGiayToKetQua"),
    "DinhDanhCHS": ("LoaiDinhDanh", "SoDinhDanh"),
}
HISTORY_SCALARS = (
    "MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai", "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
)  # fmt: skip

# Not read at all: free text, identifiers and file paths that are not carried. TrichYeuHoSo is read only to set
# is_test while the file is loaded (`_RAW_DOSSIERS`); it is not kept.
_NOT_READ = {"MaDoiTuong", "ThongTinKhac", "Fax", "ThongTinTra", "GhiChu", "DuongDanTaiTepTin", "DuongDanTepTinKetQua"}


def _columns_sql(scalars: tuple[str, ...], lists: dict[str, tuple[str, ...]]) -> str:
    items = [f"'{name}': 'VARCHAR'" for name in scalars if name not in _NOT_READ]
    for name, fields in lists.items():
        struct = ", ".join(f'"{field}" VARCHAR' for field in fields if field not in _NOT_READ)
        items.append(f"'{name}': 'STRUCT({struct})[]'")
    return "{" + ", ".join(items) + "}"


# ---- SQL fragments ----------------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f'"{name}"'


def _code(column: str) -> str:
    """Trimmed string, "" -> NULL."""
    return trim_sql(column)


def _raw(column: str) -> str:
    """The string as read, NULL when empty."""
    return f"CASE WHEN {_code(column)} IS NULL THEN NULL ELSE {column} END"


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
    {_code('MaHoSo')} AS dossier_code,
    {_code('MaTTHC')} AS procedure_code,
    {_code('TenTTHC')} AS procedure_name,
    {_code('MaLinhVuc')} AS field_code,
    {_code('TenLinhVuc')} AS field_name,
    {_code('DonViXuLy')} AS unit_name,
    {_channel('KenhThucHien')} AS channel,
    {_raw('KenhThucHien')} AS channel_raw,
    {_lookup('TrangThaiHoSo', STATUS_CODES)} AS status,
    {_raw('TrangThaiHoSo')} AS status_raw,
    {_lookup('LoaiDoiTuong', APPLICANT_TYPE_CODES)} AS applicant_type,
    {", ".join(f"{_ts(src)} AS {name}" for name, src in _TIMESTAMPS.items())},
    {", ".join(f"{_raw(src)} AS {name}_raw" for name, src in _TIMESTAMPS.items())},
    {_code('HinhThuc')} AS result_form,
    {_code('NoiNopHoSo')} AS submit_place,
    {_flag('HoSoCoThanhPhanSoHoa')} AS has_digitised_component,
    {_flag('TaiKhoanDuocXacThucVoiVNeID')} AS vneid_verified,
    {_paid_online('DuocThanhToanTrucTuyen')} AS paid_online,
    {pii_hash_sql('SoGiayToChuHoSo')} AS owner_id_hash,
    CAST(length({_code('SoGiayToChuHoSo')}) AS SMALLINT) AS owner_id_length,
    {pii_hash_sql('ChuHoSo')} AS owner_name_hash,
    {pii_hash_sql('SoDienThoai')} AS phone_hash,
    {pii_hash_sql('Email')} AS email_hash,
    CAST(NULL AS VARCHAR) AS address_hash,
    {_contains_test('MaHoSo')} OR summary_says_test AS is_test,
    source_row
FROM raw
ORDER BY source_row
"""


def _child_sql(list_column: str, fields: dict[str, str]) -> str:
    """One row per non-null element of `list_column`, position 0-based in the list as sent."""
    selected = ",\n    ".join(f"{expr} AS {name}" for name, expr in fields.items())
    return f"""
WITH elements AS (
    SELECT source_row, {_code('MaHoSo')} AS dossier_code,
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


_CHILDREN_SQL: dict[str, str] = {
    "documents": _child_sql(
        "TaiLieuNop",
        {
            "file_id": _code("e.TepDinhKemId"),
            "file_name": _code("e.TenTepDinhKem"),
            "is_deleted": _flag("e.IsDeleted"),
            "component_code": _code("e.MaThanhPhanHoSo"),
            "is_digitised": _flag("e.DuocSoHoa"),
            "is_reused": _flag("e.DuocTaiSuDung"),
            "from_national_store": _flag("e.DuocLayTuKhoDMQG"),
            "replaced_by_result_code": _code("e.MaKetQuaThayThe"),
        },
    ),
    "fees": _child_sql(
        "DanhSachLePhi",
        {
            "fee_name": _code("e.TenPhiLePhi"),
            "fee_code": _code("e.MaPhiLePhi"),
            "collect_form": _code("e.HinhThucThu"),
            "amount": _amount("e.Gia"),
            "fee_type": _code("e.LoaiPhiLePhi"),
        },
    ),
    "results": _child_sql(
        "DanhSachGiayToKetQua",
        {
            "document_name": _code("e.TenGiayTo"),
            "component_code": _code("e.MaThanhPhanHoSo"),
            "document_id": _code("e.GiayToId"),
            "result_code": _code("e.MaGiayToKetQua"),
        },
    ),
    "identities": _child_sql(
        "DinhDanhCHS",
        {"id_type": _code("e.LoaiDinhDanh"), "id_hash": pii_hash_sql("e.SoDinhDanh")},
    ),
}

_HISTORY_SQL = f"""
SELECT
    {_code('MaHoSo')} AS dossier_code,
    {pii_hash_sql('NguoiXuLy')} AS handler_hash,
    {_code('ChucDanh')} AS handler_title,
    {_ts('ThoiDiemXuLy')} AS handled_at,
    {_code('PhongBanXuLy')} AS department,
    {_code('NoiDungXuLy')} AS action,
    {_code('TrangThai')} AS status,
    {_ts('NgayBatDau')} AS started_at,
    {_ts('NgayKetThucTheoQuyDinh')} AS deadline_at,
    source_row
FROM raw
ORDER BY source_row
"""

# ---- reading ----------------------------------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
_JSON_WS = b" \t\r\n"


def check_json_array(path: Path, relpath: str) -> None:
    """Refuse, with a clear reason, a file that cannot be a JSON array: empty, HTML, an object, other text."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        if not head:
            raise SourceError(relpath, "empty file (0 bytes), expected a JSON array of dossier objects")
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
            raise SourceError(relpath, "not UTF-8 text: UTF-16 (the feed is UTF-8 JSON)")
        head = head.removeprefix(_BOM)
        first = head.lstrip(_JSON_WS)[:1]
        while not first:
            block = f.read(1 << 20)
            if not block:
                raise SourceError(relpath, "empty file (only whitespace), expected a JSON array of dossier objects")
            first = block.lstrip(_JSON_WS)[:1]
    if first == b"[":
        return
    if first == b"<":
        raise SourceError(relpath, "not JSON: the file starts with '<' (an HTML or XML page saved as .json?)")
    if first == b"{":
        raise SourceError(relpath, "not a JSON array: the top level is an object, expected an array of objects")
    raise SourceError(relpath, f"not a JSON array: the file starts with {first.decode('latin-1')!r}, expected '['")


# dossier files: the summary (free text) only says whether the dossier is a test; it is not kept
_RAW_DOSSIERS = f"* EXCLUDE (ordinality, TrichYeuHoSo), {_contains_test('TrichYeuHoSo')} AS summary_says_test"


def _load_raw(
    con: duckdb.DuckDBPyConnection, path: Path, relpath: str, columns_sql: str, select: str = "* EXCLUDE (ordinality)"
) -> None:
    """Table `raw`: the file's records with `source_row` (0-based position in the array)."""
    check_json_array(path, relpath)
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE raw AS
            SELECT ordinality - 1 AS source_row, {select}
            FROM read_json($path, format = 'array', columns = {columns_sql}) WITH ORDINALITY
            """,
            {"path": str(path)},
        )
    except duckdb.Error as error:
        reason = clean_error(error)
        if "Malformed JSON" in reason:
            reason = f"not valid JSON (truncated or corrupt): {reason}"
        elif "transform error" in reason or "Expected OBJECT" in reason:
            reason = f"a record does not have the portal shape (every element an object, lists as arrays): {reason}"
        else:
            reason = f"cannot be read as a JSON array of objects: {reason}"
        raise SourceError(relpath, reason) from None


def _finish(df: pl.DataFrame, name: str, source: SourceFile) -> pl.DataFrame:
    return conform(df.with_columns(lineage_exprs(source, SOURCE_FORMAT)), name)


def parse_dossiers(source: SourceFile, pii_key: str) -> dict[str, pl.DataFrame]:
    """`portal/hoso-*.json` -> {"dossiers", "documents", "fees", "results", "identities"}."""
    con = connect()
    try:
        _load_raw(con, source.path, source.relpath, _columns_sql(DOSSIER_SCALARS, DOSSIER_LISTS), _RAW_DOSSIERS)
        params = {KEY_PARAM: pii_key}
        frames = {"dossiers": _finish(to_polars(con, _DOSSIERS_SQL, params), "dossiers", source)}
        for name, sql in _CHILDREN_SQL.items():
            frames[name] = _finish(to_polars(con, sql, params if name == "identities" else None), name, source)
        return frames
    finally:
        con.close()


def parse_history(source: SourceFile, pii_key: str) -> dict[str, pl.DataFrame]:
    """`portal/xuly-*.json` -> {"processing_steps"}."""
    con = connect()
    try:
        _load_raw(con, source.path, source.relpath, _columns_sql(HISTORY_SCALARS, {}))
        df = to_polars(con, _HISTORY_SQL, {KEY_PARAM: pii_key})
        return {"processing_steps": _finish(df, "processing_steps", source)}
    finally:
        con.close()
