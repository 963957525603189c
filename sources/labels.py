"""Alias and label tables of the exports (docs/data-contracts.md §2), as data, and the text normalisation they use.

Matching is on the normalised text: NFC, case-folded, whitespace collapsed and trimmed (`normalise` for headers and
the keys of the tables, `normalise_expr` for the values of a frame). Unit names also lose a leading "UBND "
(`unit_name_key_expr`, Polars only), so "UBND Xã Anh Sơn" and "Xã Anh Sơn" match. The status and channel codes with
their canonical labels (`CODES`) are the one source of ref.code_labels, which the marts join for labels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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

# The status and channel codes: each code with its canonical Vietnamese label (what reports show; written to the
# warehouse as ref.code_labels by warehouse.db.apply_schema) and the other labels provincial exports use for it.
@dataclass(frozen=True)
class CodeLabel:
    code: int
    label_vi: str  # canonical label
    aliases: tuple[str, ...] = ()  # other labels of the same code in provincial exports


CODES: dict[str, tuple[CodeLabel, ...]] = {
    "status": (
        CodeLabel(1, "Mới đăng ký"),
        CodeLabel(2, "Đã tiếp nhận", ("Mới tiếp nhận",)),
        CodeLabel(3, "Từ chối", ("Không tiếp nhận",)),
        CodeLabel(4, "Đang xử lý"),
        CodeLabel(5, "Yêu cầu bổ sung", ("Chờ bổ sung",)),
        CodeLabel(6, "Chờ thực hiện nghĩa vụ tài chính"),
        CodeLabel(7, "Công dân rút hồ sơ", ("Rút hồ sơ",)),
        CodeLabel(8, "Dừng xử lý"),
        CodeLabel(9, "Đã xử lý xong", ("Chờ trả kết quả",)),
        CodeLabel(10, "Đã trả kết quả"),
    ),
    "channel": (
        CodeLabel(1, "Trực tiếp"),
        CodeLabel(2, "Trực tuyến", ("Nộp trực tuyến",)),
        CodeLabel(3, "Bưu chính công ích", ("Qua bưu chính công ích", "BCCI")),
    ),
}


def code_label_rows() -> list[tuple[str, int, str]]:
    """(domain, code, label_vi) of every code: the rows of ref.code_labels."""
    return [(domain, c.code, c.label_vi) for domain, codes in CODES.items() for c in codes]


def _labels(domain: str) -> dict[str, int]:
    return {label: c.code for c in CODES[domain] for label in (c.label_vi, *c.aliases)}


# Provincial labels -> codes (canonical labels and aliases). An empty channel counts as in person (code 1).
CHANNEL_LABELS: dict[str, int] = _labels("channel")
STATUS_LABELS: dict[str, int] = _labels("status")
EMPTY_CHANNEL = 1

# Portal codes (strings as sent) -> Int8 codes. Anything else is unknown (null), the raw string is kept.
CHANNEL_CODES: dict[str, int] = {str(c.code): c.code for c in CODES["channel"]}
STATUS_CODES: dict[str, int] = {str(c.code): c.code for c in CODES["status"]}
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


def normalise(text: str | None) -> str:
    """NFC, case-folded, whitespace runs collapsed to one space, trimmed. None -> ""."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text)).casefold()).strip()


def normalise_expr(expr: pl.Expr) -> pl.Expr:
    """`normalise` as a Polars expression (null stays null)."""
    return (
        expr.str.normalize("NFC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars(" ")
    )


def unit_name_key_expr(expr: pl.Expr) -> pl.Expr:
    """The key on which units are matched (validation joins a file's unit names to ref.units on it): `normalise_expr`,
    then a leading "UBND " removed. Null stays null. Polars only: the one engine of this rule."""
    return normalise_expr(expr).str.replace(r"^ubnd ", "").str.strip_chars(" ")


def normalised_table(table: dict[str, object]) -> dict[str, object]:
    """A label table keyed by the normalised label."""
    return {normalise(label): value for label, value in table.items()}


def header_lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised header -> canonical column."""
    return {normalise(alias): canonical for canonical, names in aliases.items() for alias in names}
