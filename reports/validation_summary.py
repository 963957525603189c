"""The validation summary: one static page (inline CSS, no script, no network) with every batch (file), every suite
and every expectation of a run's validations: counts, severity, reason and masked samples. It replaces, for readers
on a closed network, Great Expectations' data docs, whose pages load their stylesheets and scripts from CDNs (offline
the index's lists stay empty) and show one batch per suite.

    render_validation_summary(source, out_html, *, run=None) -> out_html

`source` is one of:
  - a DuckDB connection to the warehouse: the rows of meta.validations of one run (`run`: a Dagster run id or a
    load id; default the latest load's run), every load of that run;
  - a Polars frame with the columns of meta.validations (source_file, suite, expectation_id, expectation_type,
    columns, reason, severity, scope, success, element_count, unexpected_count, unexpected_percent, sample_values);
  - staged files (objects with `relpath` and `validations_path`, e.g. stages.staging.StagedFile): their
    validations.parquet, as the validate stage wrote them.

Given no rows, an existing page is left as it is (a run that validated nothing keeps the previous run's summary).

    python -m reports.validation_summary WAREHOUSE.duckdb OUT.html [RUN_OR_LOAD_ID]
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from expectations.reasons import MASK, is_personal
from reports.charts import vn_number

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMNS = ["source_file", "suite", "expectation_id", "expectation_type", "columns", "reason", "severity", "scope",
           "success", "element_count", "unexpected_count", "unexpected_percent", "sample_values"]
SEVERITY = {"critical": ("Nghiêm trọng", "critical: the record is quarantined"),
            "warning": ("Cảnh báo", "warning: the record loads, the warning is kept")}
REASON_VI = {
    "missing_dossier_code": "thiếu mã hồ sơ",
    "received_at_invalid": "ngày tiếp nhận không hợp lệ",
    "unknown_unit": "đơn vị không có trong danh mục",
    "unknown_channel": "kênh nộp không xác định",
    "unknown_status": "trạng thái không xác định",
    "unknown_procedure": "thủ tục không có trong danh mục",
    "returned_before_received": "trả kết quả trước khi tiếp nhận",
    "processed_before_received": "xử lý xong trước khi tiếp nhận",
    "missing_key": "thiếu khóa",
    "duplicate_key": "khóa trùng",
    "unknown_task_code": "mã nhiệm vụ không xác định",
    "unknown_task_status": "trạng thái nhiệm vụ không xác định",
    "dossier_code_format": "mã hồ sơ sai định dạng",
    "id_number_length": "số giấy tờ sai độ dài",
    "unknown_applicant_type": "loại đối tượng không xác định",
    "received_at_implausible": "ngày tiếp nhận bất thường",
    "online_share_implausible": "tỷ lệ trực tuyến bất thường",
    "empty_batch": "tệp không có bản ghi",
    "handled_at_invalid": "thời điểm xử lý không hợp lệ",
    "commune_code_format": "mã xã sai định dạng",
    "updated_after_snapshot": "cập nhật sau ngày số liệu",
    "incomplete_task_set": "thiếu nhiệm vụ",
    "incomplete_snapshot": "bảng xếp hạng thiếu tỉnh",
    "unit_code_format": "mã đơn vị sai định dạng",
    "e_identifier_format": "mã định danh điện tử sai định dạng",
    "value_out_of_range": "giá trị ngoài khoảng",
    "requested_at_invalid": "ngày yêu cầu bổ sung không hợp lệ",
    "resubmitted_before_requested": "nộp bổ sung trước ngày yêu cầu",
}
# Sample values of these columns are not shown: personal values (keyed hashes, owner fields) and the dossier code,
# which the public portal can look up (the page is linked from the analysts' report).
def _masked(columns: str | None) -> bool:
    names = [c.strip() for c in (columns or "").split(",") if c.strip()]
    return any(is_personal(c) or "dossier_code" in c for c in names)


# ------------------------------------------------------------------ data


def _frame_of_staged(staged: Iterable[Any]) -> pl.DataFrame:
    parts = [pl.read_parquet(sf.validations_path, glob=False).with_columns(pl.lit(sf.relpath).alias("source_file"))
             for sf in staged if Path(sf.validations_path).is_file()]
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()


def _frame_of_warehouse(con: duckdb.DuckDBPyConnection, run: str | None) -> tuple[pl.DataFrame, str | None]:
    """meta.validations of every load of one run (by Dagster run id or load id; default: the latest load's)."""
    latest = con.execute(
        """SELECT l.load_id, l.run_id FROM meta.loads l
           WHERE EXISTS (SELECT 1 FROM meta.validations v WHERE v.load_id = l.load_id)
             AND (? IS NULL OR l.run_id = ? OR l.load_id = ?)
           ORDER BY l.load_id DESC LIMIT 1""", [run, run, run]).fetchall()
    if not latest:
        return pl.DataFrame(), run
    load_id, run_id = latest[0]
    rows = con.sql(
        f"""SELECT v.load_id, {', '.join('v.' + c for c in COLUMNS)}, v.validated_at
            FROM meta.validations v JOIN meta.loads l USING (load_id)
            WHERE {'l.run_id = ?' if run_id else 'v.load_id = ?'}
            ORDER BY v.load_id, v.source_file, v.suite""", params=[run_id or load_id]).pl()
    return rows, run_id or load_id


def _rows(source: Any, run: str | None) -> tuple[pl.DataFrame, str | None]:
    if isinstance(source, duckdb.DuckDBPyConnection):
        return _frame_of_warehouse(source, run)
    if isinstance(source, pl.DataFrame):
        return source, run
    return _frame_of_staged(source), run


# ------------------------------------------------------------------ html


def e(s: Any) -> str:
    return escape("" if s is None else str(s))


def bi(vi: str, en: str) -> str:
    return f'{e(vi)} <span class="en" lang="en">/ {e(en)}</span>'


def n(v: Any) -> str:
    return "—" if v is None else vn_number(int(v))


def pct(v: Any) -> str:
    return "—" if v is None else vn_number(float(v), 2) + "%"


def _table(headers: list[tuple[str, str, bool]], rows: list[tuple[list[str], str]], cls: str) -> str:
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if is_num else ""}>{e(vi)}<br><span class="en" lang="en">{e(en)}'
                   "</span></th>" for vi, en, is_num in headers)
    body = "".join(
        (f'<tr class="{rc}">' if rc else "<tr>")
        + "".join(f'<td{num if headers[i][2] else ""}>{c}</td>' for i, c in enumerate(cells)) + "</tr>"
        for cells, rc in rows)
    return (f'<div class="table-wrap"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def _severity(sev: str | None) -> str:
    vi, en = SEVERITY.get(sev or "", (sev or "—", ""))
    return f'<span class="sev-{e(sev)}">{e(vi)}</span><br><span class="en" lang="en">{e(en.split(":")[0])}</span>'


def _reason(reason: str | None) -> str:
    vi = REASON_VI.get(reason or "")
    return (f"{e(vi)}<br>" if vi else "") + f'<code>{e(reason)}</code>'


def _samples(columns: str | None, samples: str | None) -> str:
    if not samples:
        return ""
    if _masked(columns):
        return f'<span class="muted">{MASK} (ẩn / masked)</span>'
    return f"<code>{e(samples[:160] + ('…' if len(samples) > 160 else ''))}</code>"


def _status(failed_critical: int, failed_warning: int) -> tuple[str, str]:
    if failed_critical:
        return '<span class="bad">✗ có lỗi nghiêm trọng</span>', "failed-critical"
    if failed_warning:
        return '<span class="warn">! có cảnh báo</span>', "failed-warning"
    return '<span class="ok">✓ đạt</span>', ""


def render_html(frame: pl.DataFrame, run: str | None = None) -> str:
    f = frame.with_columns(
        pl.col("unexpected_count").fill_null(0),
        (~pl.col("success").fill_null(True) & (pl.col("severity") == "critical")).alias("_fc"),
        (~pl.col("success").fill_null(True) & (pl.col("severity") == "warning")).alias("_fw"),
    )
    # One batch = one file checked against one suite; its records = the largest element count of its expectations.
    batches = (f.group_by("source_file", "suite", maintain_order=True)
               .agg(pl.col("element_count").max().alias("records"), pl.len().alias("expectations"),
                    pl.col("_fc").sum().alias("failed_critical"), pl.col("_fw").sum().alias("failed_warning"),
                    pl.col("unexpected_count").sum().alias("unexpected"),
                    pl.col("expectation_id").filter(~pl.col("success").fill_null(True)).alias("failing"))
               .sort("source_file", "suite"))
    suites = (batches.group_by("suite")
              .agg(pl.len().alias("batches"), pl.col("records").sum(), pl.col("expectations").max(),
                   pl.col("failed_critical").sum(), pl.col("failed_warning").sum(), pl.col("unexpected").sum(),
                   (pl.col("failed_critical") > 0).sum().alias("batches_critical"))
              .sort("suite"))
    expectations = (f.group_by("suite", "expectation_id", maintain_order=True)
                    .agg(pl.col("expectation_type").first(), pl.col("columns").first(), pl.col("reason").first(),
                         pl.col("severity").first(), pl.col("scope").first(), pl.len().alias("batches"),
                         (~pl.col("success").fill_null(True)).sum().alias("batches_failed"),
                         pl.col("element_count").sum().alias("checked"), pl.col("unexpected_count").sum(),
                         pl.col("sample_values").filter(pl.col("sample_values").is_not_null()
                                                        & (pl.col("sample_values") != ""))
                         .unique(maintain_order=True).head(3).str.join(" | ").alias("samples"))
                    .sort("suite", "expectation_id"))

    totals = {"files": f.get_column("source_file").n_unique() if f.height else 0, "suites": suites.height,
              "batches": batches.height, "expectations": f.height,
              "failed_critical": int(f.get_column("_fc").sum() or 0),
              "failed_warning": int(f.get_column("_fw").sum() or 0),
              "records": int(batches.get_column("records").sum() or 0) if batches.height else 0}
    when = ""
    if "validated_at" in f.columns and f.height and f.get_column("validated_at").max() is not None:
        at = f.get_column("validated_at").max()
        if isinstance(at, datetime):
            at = at.astimezone(VN) if at.tzinfo else at
            when = f' · {bi("Kiểm tra lúc", "validated at")}: {at:%d/%m/%Y %H:%M} (giờ Việt Nam)'
    loads = sorted(f.get_column("load_id").unique().to_list()) if "load_id" in f.columns and f.height else []

    suite_rows = []
    for s in suites.iter_rows(named=True):
        status, cls = _status(s["failed_critical"], s["failed_warning"])
        suite_rows.append(([f'<a href="#suite-{e(s["suite"])}"><code>{e(s["suite"])}</code></a>', n(s["batches"]),
                            n(s["records"]), n(s["expectations"]), n(s["failed_critical"]), n(s["failed_warning"]),
                            n(s["unexpected"]), status], cls))
    suite_table = _table([("Bộ kiểm tra", "Suite", False), ("Số lô (tệp)", "Batches (files)", True),
                          ("Số bản ghi", "Records", True), ("Số kỳ vọng", "Expectations", True),
                          ("Lỗi nghiêm trọng", "Critical failures", True), ("Cảnh báo", "Warnings", True),
                          ("Bản ghi không đạt", "Unexpected", True), ("Kết quả", "Result", False)],
                         suite_rows, "suites")

    per_suite = []
    for s in suites.iter_rows(named=True):
        rows = []
        for x in expectations.filter(pl.col("suite") == s["suite"]).iter_rows(named=True):
            failed = x["batches_failed"] or 0
            cls = ("failed-critical" if x["severity"] == "critical" else "failed-warning") if failed else ""
            share = None
            if x["scope"] == "row" and x["checked"]:
                share = 100.0 * (x["unexpected_count"] or 0) / x["checked"]
            cols = f' · {bi("cột", "columns")}: <code>{e(x["columns"])}</code>' if x["columns"] else ""
            rows.append(([f'<code class="exp-id">{e(x["expectation_id"])}</code><br><span class="muted small">'
                          f'{e(x["expectation_type"])}{cols}</span>', _severity(x["severity"]),
                          _reason(x["reason"]), f'{n(failed)}/{n(x["batches"])}',
                          n(x["checked"]) if x["scope"] == "row" else '<span class="muted">bảng / table</span>',
                          f'{n(x["unexpected_count"])}<br><span class="muted small">{pct(share)}</span>'
                          if x["scope"] == "row" else "—",
                          _samples(x["columns"], x["samples"])], cls))
        per_suite.append(
            f'<section id="suite-{e(s["suite"])}" class="suite"><h3><code>{e(s["suite"])}</code> '
            f'<span class="muted small">({n(s["batches"])} lô / batches, {n(s["records"])} bản ghi / records)</span>'
            "</h3>"
            + _table([("Kỳ vọng", "Expectation", False), ("Mức độ", "Severity", False),
                      ("Lý do", "Reason", False), ("Lô không đạt", "Batches failed", True),
                      ("Bản ghi đã kiểm tra", "Records checked", True), ("Không đạt", "Unexpected", True),
                      ("Ví dụ (đã che)", "Samples (masked)", False)], rows, "expectations")
            + "</section>")

    batch_rows = []
    for b in batches.iter_rows(named=True):
        status, cls = _status(b["failed_critical"], b["failed_warning"])
        failing = ", ".join(f"<code>{e(x)}</code>" for x in (b["failing"] or []))
        batch_rows.append(([f'<code>{e(b["source_file"])}</code>', f'<code>{e(b["suite"])}</code>', n(b["records"]),
                            n(b["expectations"]), n(b["failed_critical"]), n(b["failed_warning"]),
                            n(b["unexpected"]), status + (f"<br>{failing}" if failing else "")], cls))
    batch_table = _table([("Tệp", "File", False), ("Bộ kiểm tra", "Suite", False), ("Số bản ghi", "Records", True),
                          ("Số kỳ vọng", "Expectations", True), ("Lỗi nghiêm trọng", "Critical", True),
                          ("Cảnh báo", "Warnings", True), ("Bản ghi không đạt", "Unexpected", True),
                          ("Kết quả", "Result", False)], batch_rows, "batches")

    title = "Tóm tắt kiểm tra dữ liệu"
    ident = ""
    if run:
        ident += f' · {bi("Lượt chạy", "run")}: <code>{e(run)}</code>'
    if loads:
        ident += f' · {bi("Lần nạp", "loads")}: ' + ", ".join(f"<code>{e(x)}</code>" for x in loads)
    stats = (f'<ul class="totals"><li><strong>{n(totals["files"])}</strong> {bi("tệp", "files")}</li>'
             f'<li><strong>{n(totals["suites"])}</strong> {bi("bộ kiểm tra", "suites")}</li>'
             f'<li><strong>{n(totals["batches"])}</strong> {bi("lô (tệp × bộ)", "batches (file × suite)")}</li>'
             f'<li><strong>{n(totals["records"])}</strong> {bi("bản ghi", "records")}</li>'
             f'<li><strong>{n(totals["expectations"])}</strong> {bi("kết quả kỳ vọng", "expectation results")}</li>'
             f'<li class="bad"><strong>{n(totals["failed_critical"])}</strong> {bi("kỳ vọng không đạt, nghiêm trọng", "critical failures (batch × expectation)")}</li>'
             f'<li class="warn"><strong>{n(totals["failed_warning"])}</strong> {bi("kỳ vọng không đạt, cảnh báo", "warnings (batch × expectation)")}</li></ul>')
    if not f.height:
        body = f'<p class="no-data">{bi("Chưa có kết quả kiểm tra nào.", "No validation results.")}</p>'
    else:
        body = (f'<section id="bo-kiem-tra"><h2>{bi("Theo bộ kiểm tra", "By suite")}</h2>{suite_table}</section>'
                f'<section id="ky-vong"><h2>{bi("Từng kỳ vọng", "Every expectation")}</h2>'
                f'<p class="small muted">{bi("Mức độ nghiêm trọng: bản ghi bị đưa vào khu cách ly; cảnh báo: bản ghi vẫn được nạp. Ví dụ giá trị cá nhân và mã hồ sơ được che.", "Critical: the record is quarantined; warning: it loads with the warning. Personal values and dossier codes are masked.")}</p>'
                + "".join(per_suite) + "</section>"
                f'<section id="lo"><h2>{bi("Từng lô (tệp × bộ kiểm tra)", "Every batch (file × suite)")}</h2>'
                f"{batch_table}</section>")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="vi">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)} / Validation summary</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        "<header>", f'<h1>{e(title)}<br><span class="en" lang="en">Validation summary (Great Expectations suites)'
        "</span></h1>",
        f'<p class="meta">{bi("Mọi lô, mọi bộ kiểm tra của lượt chạy", "every batch and suite of the run")}'
        f"{ident}{when}</p>",
        stats,
        '<nav><a href="#bo-kiem-tra">Bộ kiểm tra / Suites</a> · <a href="#ky-vong">Kỳ vọng / Expectations</a> · '
        '<a href="#lo">Lô / Batches</a> · <a href="report.html">Báo cáo / Report</a> · '
        '<a href="data_docs/index.html">Great Expectations data docs</a></nav>',
        "</header>", "<main>", body, "</main>",
        f'<footer><p>{bi("Trang tĩnh, không cần mạng; từ lịch sử kiểm tra (meta.validations)", "static page, works offline; from the validation history (meta.validations)")}'
        " (reports.validation_summary).</p></footer>",
        "</body>", "</html>"]) + "\n"


CSS = """
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; --warn: #c2410c; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; background: #f8fafc; color: var(--fg); line-height: 1.45; font-size: 14px;
       font-family: "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial,
                    sans-serif; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 1.2rem; margin: 0 0 10px; }
h3 { font-size: 1.02rem; margin: 18px 0 6px; }
.en { color: var(--muted); font-weight: normal; }
.meta { color: var(--muted); }
ul.totals { display: flex; flex-wrap: wrap; gap: 6px 22px; list-style: none; padding: 0; margin: 10px 0; }
nav a, td a { color: var(--accent); text-decoration: none; }
main > section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px;
                 margin: 18px 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: 6px 0; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 0.82rem; background: #f1f5f9; }
td.num, th.num { text-align: right; white-space: nowrap; }
td code { overflow-wrap: anywhere; }
table.expectations td:nth-child(3) { min-width: 12em; }
table.expectations td:nth-child(3) code { overflow-wrap: normal; }
table.expectations td:nth-child(2) { min-width: 6.5em; }
table.expectations td:nth-child(7) { min-width: 14em; font-size: 0.85rem; }
tr.failed-critical td { background: #fef2f2; }
tr.failed-critical td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
tr.failed-warning td { background: #fff7ed; }
.ok { color: #15803d; font-weight: 600; }
.bad, .sev-critical { color: var(--bad); font-weight: 600; }
.warn, .sev-warning { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.small { font-size: 0.82rem; }
code { font-size: 0.9em; }
footer { color: var(--muted); font-size: 0.85rem; padding-bottom: 28px; }
"""


def render_validation_summary(source: Any, out_html: Path | str, *, run: str | None = None) -> Path:
    """Write the validation summary of `source` (see the module docstring) to `out_html`, replaced atomically;
    returns its path. Without any row, an existing page is kept."""
    out_html = Path(out_html)
    frame, run = _rows(source, run)
    if frame.height == 0 and out_html.exists():
        return out_html
    for c in COLUMNS:
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(c))
    page = render_html(frame, run)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_html.with_name(f".{out_html.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_html)
    return out_html


def main(argv: list[str]) -> int:
    if not 2 <= len(argv) <= 3:
        print(__doc__.strip().splitlines()[-1].strip())
        return 2
    con = duckdb.connect(argv[0], read_only=True)
    try:
        print(render_validation_summary(con, Path(argv[1]), run=argv[2] if len(argv) > 2 else None))
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["render_validation_summary", "render_html"]
