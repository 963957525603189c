"""Provincial-system exports (docs/data-contracts.md §2.2): provincial/<unit_code>-hoso-YYYYMMDD.csv (variant A
headers, UTF-8 with BOM) and provincial/<unit_code>-hoso-YYYYMMDD.xlsx (title block, variant B headers).

Each export lists all of a commune's dossiers received from 01/07/2025 up to 16:00 of the export date, with their
state at that time, labels instead of codes. The communes that deliver only this way are not in the portal feed;
the overlap communes deliver both ways, so their dossiers appear in the JSON and in the CSV with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from samples import clock
from samples.clock import fmt, to_datetime
from samples.defects import Override
from samples.portal import Context, apply_overrides, base_frame, sha256_of

VARIANT_A = ("STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Mã thủ tục", "Lĩnh vực", "Đơn vị tiếp nhận", "Trạng thái",
             "Chủ hồ sơ", "Địa chỉ", "Ngày nộp hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý",
             "Ngày trả kết quả", "Hình thức nộp")
VARIANT_B = ("STT", "Số hồ sơ", "Tên thủ tục", "Mã TTHC", "Lĩnh vực", "Đơn vị xử lý", "Tình trạng", "Người nộp",
             "Số điện thoại", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Ngày trả", "Kênh nộp")
# The two vendors label the same codes differently (both sets are in the contract's label table).
STATUS_A = {1: "Mới đăng ký", 2: "Đã tiếp nhận", 3: "Từ chối", 4: "Đang xử lý", 5: "Yêu cầu bổ sung",
            6: "Chờ thực hiện nghĩa vụ tài chính", 7: "Công dân rút hồ sơ", 8: "Dừng xử lý", 9: "Đã xử lý xong",
            10: "Đã trả kết quả"}
STATUS_B = {**STATUS_A, 2: "Mới tiếp nhận", 3: "Không tiếp nhận", 5: "Chờ bổ sung", 7: "Rút hồ sơ", 9: "Chờ trả kết quả"}
CHANNEL_A = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Qua bưu chính công ích"}
CHANNEL_B = {1: "Trực tiếp", 2: "Nộp trực tuyến", 3: "BCCI"}
DATETIME = "%d/%m/%Y %H:%M:%S"
DATE = "%d/%m/%Y"
# xlsxwriter stamps the document with the current time unless told otherwise: fix it for byte-identical output.
XLSX_PROPERTIES = {"title": "Danh sách hồ sơ", "author": "Hệ thống thông tin giải quyết TTHC tỉnh",
                   "created": datetime(2025, 8, 6, 16, 0, 0)}


@dataclass(frozen=True)
class Export:
    unit: int
    format: str  # csv | xlsx
    snapshot: date

    def path(self, unit_code: str) -> str:
        return f"provincial/{unit_code}-hoso-{self.snapshot:%Y%m%d}.{self.format}"


def _labels(col: str, mapping: dict[int, str]) -> pl.Expr:
    return pl.col(col).replace_strict({k: v for k, v in mapping.items()}, default="", return_dtype=pl.String)


def export_frame(ctx: Context, ids: np.ndarray, k: np.ndarray, overrides: list[Override]) -> pl.DataFrame:
    """Canonical columns of an export (strings already formatted for variant A), plus `_id`."""
    b = base_frame(ctx, ids, k)
    df = b.select(
        "_id", "t0", "due", "processed", "returned", "status", "channel",
        dossier_code=pl.col("code"), procedure_name=pl.col("proc_name"), procedure_code=pl.col("proc_code"),
        field_name=pl.col("field_name"), unit_name=pl.col("unit_name"), owner_name=pl.col("owner_name"),
        owner_address=pl.col("address"), owner_phone=pl.col("phone"), submitted_at=fmt("submitted", DATE),
        received_at=fmt("t0", DATETIME), due_at=fmt("due", DATETIME), processed_at=fmt("processed", DATETIME),
        returned_at=fmt("returned", DATETIME),
    )
    return apply_overrides(df, [o for o in overrides if o.target == "provincial"], None)


def write_csv_export(path: Path, df: pl.DataFrame) -> None:
    out = df.select(
        pl.int_range(1, pl.len() + 1).cast(pl.String).alias("STT"),
        pl.col("dossier_code").alias("Mã hồ sơ"), pl.col("procedure_name").alias("Tên thủ tục hành chính"),
        pl.col("procedure_code").alias("Mã thủ tục"), pl.col("field_name").alias("Lĩnh vực"),
        ("UBND " + pl.col("unit_name")).alias("Đơn vị tiếp nhận"), _labels("status", STATUS_A).alias("Trạng thái"),
        pl.col("owner_name").alias("Chủ hồ sơ"), pl.col("owner_address").alias("Địa chỉ"),
        pl.col("submitted_at").alias("Ngày nộp hồ sơ"), pl.col("received_at").alias("Ngày tiếp nhận"),
        pl.col("due_at").alias("Ngày hẹn trả"), pl.col("processed_at").alias("Ngày kết thúc xử lý"),
        pl.col("returned_at").alias("Ngày trả kết quả"), _labels("channel", CHANNEL_A).alias("Hình thức nộp"),
    )
    assert tuple(out.columns) == VARIANT_A
    # An empty value is written empty, not as a quoted "" (what the vendors' exports do).
    out.with_columns(pl.col(pl.String).replace("", None)).write_csv(path, include_bom=True, line_terminator="\n")


def write_xlsx_export(path: Path, df: pl.DataFrame, unit_name: str, snapshot: date) -> None:
    out = df.select(
        pl.int_range(1, pl.len() + 1).alias("STT"),
        pl.col("dossier_code").alias("Số hồ sơ"), pl.col("procedure_name").alias("Tên thủ tục"),
        pl.col("procedure_code").alias("Mã TTHC"), pl.col("field_name").alias("Lĩnh vực"),
        pl.col("unit_name").alias("Đơn vị xử lý"), _labels("status", STATUS_B).alias("Tình trạng"),
        pl.col("owner_name").alias("Người nộp"), pl.col("owner_phone").alias("Số điện thoại"),
        to_datetime("t0").alias("Ngày nhận"),  # a real date cell: the contract allows both
        fmt("due", DATE).alias("Ngày hẹn trả"), pl.col("processed_at").alias("Ngày kết thúc xử lý"),
        pl.col("returned_at").alias("Ngày trả"), _labels("channel", CHANNEL_B).alias("Kênh nộp"),
    )
    assert tuple(out.columns) == VARIANT_B
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "default_date_format": "dd/mm/yyyy hh:mm:ss"})
    wb.set_properties(XLSX_PROPERTIES)
    ws = wb.add_worksheet("Danh sách hồ sơ")
    title = wb.add_format({"bold": True, "align": "center", "font_size": 14})
    centered = wb.add_format({"align": "center", "italic": True})
    header = wb.add_format({"bold": True, "align": "center", "border": 1, "bg_color": "#D9E1F2"})
    last = len(VARIANT_B) - 1
    ws.merge_range(0, 0, 0, last, "DANH SÁCH HỒ SƠ", title)
    ws.merge_range(1, 0, 1, last, f"Từ ngày 01/07/2025 đến ngày {snapshot:%d/%m/%Y}", centered)
    ws.merge_range(2, 0, 2, last, unit_name, centered)
    ws.write_row(4, 0, VARIANT_B, header)
    ws.set_column(0, 0, 6)
    ws.set_column(1, last, 22)
    for r, row in enumerate(out.iter_rows(), start=5):
        ws.write_row(r, 0, [v if v != "" else None for v in row])
    wb.close()


def write_exports(out: Path, ctx: Context, exports: list[Export], overrides: list[Override],
                  watches: set[tuple[int, int]]) -> tuple[list[dict], dict]:
    """Every export; returns the file entries and the place (file, row) of each watched (dossier, snapshot day)."""
    (out / "provincial").mkdir(parents=True, exist_ok=True)
    files, located = [], {}
    for ex in exports:
        cut = clock.sec(datetime.combine(ex.snapshot, datetime.min.time())) + 16 * clock.HOUR
        ids = np.flatnonzero((ctx.plan.unit == ex.unit) & (ctx.plan.t[0] < cut))
        k = ctx.plan.state_at(ids, cut)
        df = export_frame(ctx, ids, k, overrides)
        rel = ex.path(ctx.units.code[ex.unit])
        path = out / rel
        if ex.format == "csv":
            write_csv_export(path, df)
        else:
            write_xlsx_export(path, df, ctx.units.name[ex.unit], ex.snapshot)
        files.append({"path": rel, "format": f"provincial_{ex.format}", "sha256": sha256_of(path), "records": len(df)})
        day = clock.day_index(ex.snapshot)
        wanted = np.array([i for i, d in watches if d == day], dtype=np.int64)
        for pos in np.flatnonzero(np.isin(ids, wanted)):
            located[(int(ids[pos]), "provincial", day)] = (rel, int(pos))
    return files, located
