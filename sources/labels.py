"""Alias and label tables of the exports (docs/data-contracts.md §2), as data, and the text normalisation they use.

Matching is on the normalised text: NFC, case-folded, whitespace collapsed and trimmed (`normalise`). Unit names
also lose a leading "UBND " (`normalise_unit_name`), so "UBND Xã Anh Sơn" and "Xã Anh Sơn" match; the same
normalisation exists as a Polars expression and a DuckDB SQL expression for the load's joins.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# ---- the tables ------------------------------------------------------------------------------------------------

# Provincial exports: canonical column -> header aliases (any one names it).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "row_number": ("STT",),
    "dossier_code": ("Mã hồ sơ", "Số hồ sơ"),
    "procedure_name": ("Tên thủ tục hành chính", "Tên thủ tục"),
    "procedure_code": ("Mã thủ tục", "Mã TTHC"),
    "field_name": ("Lĩnh vực",),
    "unit_name": ("Đơn vị tiếp nhận", "Đơn vị xử lý"),
    "status": ("Trạng thái", "Tình trạng"),
    "owner_name": ("Chủ hồ sơ", "Người nộp"),
    "owner_address": ("Địa chỉ",),
    "owner_phone": ("Số điện thoại",),
    "submitted_at": ("Ngày nộp hồ sơ", "Ngày nộp"),
    "received_at": ("Ngày tiếp nhận", "Ngày nhận"),
    "due_at": ("Ngày hẹn trả",),
    "processed_at": ("Ngày kết thúc xử lý",),
    "returned_at": ("Ngày trả kết quả", "Ngày trả"),
    "channel": ("Hình thức nộp", "Kênh nộp", "Loại tiếp nhận"),
}
REQUIRED_HEADERS: tuple[str, ...] = (
    "dossier_code",
    "procedure_name",
    "procedure_code",
    "unit_name",
    "status",
    "received_at",
    "channel",
)
PERSONAL_HEADERS: tuple[str, ...] = ("owner_name", "owner_address", "owner_phone")

# Provincial labels -> codes. An empty channel counts as in person (code 1).
CHANNEL_LABELS: dict[str, int] = {
    "Trực tiếp": 1,
    "Trực tuyến": 2,
    "Nộp trực tuyến": 2,
    "Qua bưu chính công ích": 3,
    "BCCI": 3,
    "Bưu chính công ích": 3,
}
EMPTY_CHANNEL = 1
STATUS_LABELS: dict[str, int] = {
    "Mới đăng ký": 1,
    "Đã tiếp nhận": 2,
    "Mới tiếp nhận": 2,
    "Từ chối": 3,
    "Không tiếp nhận": 3,
    "Đang xử lý": 4,
    "Yêu cầu bổ sung": 5,
    "Chờ bổ sung": 5,
    "Chờ thực hiện nghĩa vụ tài chính": 6,
    "Công dân rút hồ sơ": 7,
    "Rút hồ sơ": 7,
    "Dừng xử lý": 8,
    "Đã xử lý xong": 9,
    "Chờ trả kết quả": 9,
    "Đã trả kết quả": 10,
}

# Portal codes (strings as sent) -> Int8 codes. Anything else is unknown (null), the raw string is kept.
CHANNEL_CODES: dict[str, int] = {"1": 1, "2": 2, "3": 3}
STATUS_CODES: dict[str, int] = {str(code): code for code in range(1, 11)}
APPLICANT_TYPE_CODES: dict[str, int] = {"1": 1, "2": 2, "3": 3, "4": 4}
PAID_ONLINE_CODES: tuple[str, ...] = ("1", "2")  # DuocThanhToanTrucTuyen
FLAG_TRUE: tuple[str, ...] = ("1", "true")  # 0/1 flags; some systems send true/false
FLAG_FALSE: tuple[str, ...] = ("0", "false")

# Task monitoring labels -> done?
TASK_STATUS_LABELS: dict[str, bool] = {
    "Hoàn thành": True,
    "Chưa hoàn thành": False,
    "Đang thực hiện": False,
}

# Task and reference CSV headers (all required). Canonical column -> header as written.
COMMUNE_TASK_HEADERS: dict[str, str] = {
    "commune_code": "Mã xã",
    "commune_name": "Tên xã",
    "task_code": "Mã nhiệm vụ",
    "task_name": "Tên nhiệm vụ",
    "status_label": "Trạng thái",
    "updated_on": "Ngày cập nhật",
}
PROVINCE_TASK_HEADERS: dict[str, str] = {
    "row_number": "STT",
    "task_code": "Mã nhiệm vụ",
    "task_name": "Tên nhiệm vụ",
    "lead_unit": "Đơn vị chủ trì",
    "deadline": "Hạn hoàn thành",
    "status_label": "Trạng thái",
    "done_on": "Ngày hoàn thành",
}
PROVINCE_SNAPSHOT_HEADERS: dict[str, str] = {
    "snapshot_date": "Ngày",
    "province_code": "Mã tỉnh",
    "province_name": "Tên tỉnh",
    "online_ratio_pct": "Tỷ lệ nộp trực tuyến (%)",
    "commune_task_pct": "Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)",
}

# ---- normalisation ---------------------------------------------------------------------------------------------

WHITESPACE = " \t\r\n"  # what "trimmed" means, identically in Python, Polars and DuckDB
_SPACES = re.compile(r"\s+")
_UBND = "ubnd "


def normalise(text: str | None) -> str:
    """NFC, case-folded, whitespace runs collapsed to one space, trimmed. None -> ""."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text)).casefold()).strip()


def normalise_unit_name(name: str | None) -> str:
    """`normalise`, then a leading "UBND " removed: the key on which units are matched."""
    key = normalise(name)
    return key[len(_UBND) :].strip() if key.startswith(_UBND) else key


def normalise_expr(expr: pl.Expr) -> pl.Expr:
    """`normalise` as a Polars expression (null stays null)."""
    return (
        expr.str.normalize("NFC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars(" ")
    )


def unit_name_key_expr(expr: pl.Expr) -> pl.Expr:
    """`normalise_unit_name` as a Polars expression (null stays null)."""
    return normalise_expr(expr).str.replace(r"^ubnd ", "").str.strip_chars(" ")


def unit_name_key_sql(column_sql: str) -> str:
    """`normalise_unit_name` as a DuckDB SQL expression over `column_sql` (null stays null)."""
    collapsed = f"trim(regexp_replace(lower(nfc_normalize({column_sql})), '[\\s\\p{{Z}}]+', ' ', 'g'))"
    return f"trim(regexp_replace({collapsed}, '^ubnd ', ''))"


def normalised_table(table: dict[str, object]) -> dict[str, object]:
    """A label table keyed by the normalised label."""
    return {normalise(label): value for label, value in table.items()}


def header_lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised header -> canonical column."""
    return {normalise(alias): canonical for canonical, names in aliases.items() for alias in names}
