"""The static HTML report: one self-contained page (inline CSS, inline SVG charts, no script, no network) built from
the analysts' snapshot (HOSO_ANALYTICS_DB) only.

    render_report(analytics_db, out_html) -> out_html

Sections: the headline per level (with the definition named and the four definitions side by side), the online
ratio of every commune against the commune target, the daily trend, the commune task-progress distribution per
snapshot, the province ranking, and the reconciliation with the published report. Labels are Vietnamese with the
English beside them. The same snapshot gives the same bytes (no time stamp is written).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Iterable, Sequence

from reports.charts import (BLUE, BLUE_LIGHT, GREY, INK, ORANGE, RED, BarRow, Series, column_chart, hbar_chart,
                            line_chart)
from warehouse.db import connect, sql_text

REQUIRED_TABLES = ("online_ratio_by_level", "online_ratio_definitions", "online_ratio_by_commune", "daily_trend",
                   "commune_task_progress", "province_ranking", "published_reconciliation")
LEVEL_ORDER = "CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END"
LEVEL_EN = {"province_wide": "Province-wide", "province_agencies": "Province-level agencies", "commune": "Communes"}
LEVEL_SHORT = {"province_wide": "Toàn tỉnh", "province_agencies": "Cấp tỉnh (sở, ngành)", "commune": "Cấp xã"}
DEFINITION_SHORT = {"A": "A (báo cáo / report)", "B": "B (MucDo 3–4)", "C": "C (bỏ BCCI / no postal)",
                    "D": "D (A × đồng bộ / sync)"}


# ------------------------------------------------------------------ formatting


def fmt_int(v: Any) -> str:
    return "—" if v is None else f"{int(v):,}"


def fmt_pct(v: Any) -> str:
    return "—" if v is None else f"{float(v):.2f}%"


def fmt_date(d: date | datetime | None) -> str:
    if d is None:
        return "—"
    return d.strftime("%d/%m/%Y %H:%M") if isinstance(d, datetime) else d.strftime("%d/%m/%Y")


def fmt_change(c: Any) -> str:
    """Places gained since the previous snapshot: ▲5, ▼2, =, or empty when there is no previous snapshot."""
    if c is None:
        return ""
    c = int(c)
    return f"▲{c}" if c > 0 else f"▼{-c}" if c < 0 else "="


def fmt_value(v: Any, unit: str | None) -> str:
    if v is None:
        return "—"
    if unit == "percent":
        return fmt_pct(v)
    return fmt_int(v) if float(v) == int(float(v)) else f"{float(v):,.2f}"


def e(s: Any) -> str:
    return escape("" if s is None else str(s))


def bilingual(vi: str, en: str) -> str:
    return f'{e(vi)} <span class="en" lang="en">/ {e(en)}</span>'


def table(headers: Sequence[tuple[str, str, bool]], rows: Iterable[tuple[Sequence[str], str]], cls: str = "") -> str:
    """headers: (vi, en, numeric); rows: (already-escaped cells, row class)."""
    def cls_attr(name: str) -> str:
        return f' class="{name}"' if name else ""

    head = "".join(f'<th scope="col"{cls_attr("num" if num else "")}>{e(vi)}<br><span class="en" lang="en">{e(en)}'
                   f"</span></th>" for vi, en, num in headers)
    body = []
    for cells, row_cls in rows:
        tds = "".join(f'<td{cls_attr("num" if headers[i][2] else "")}>{c}</td>' for i, c in enumerate(cells))
        body.append(f"<tr{cls_attr(row_cls)}>{tds}</tr>")
    return (f'<div class="table-wrap"><table{cls_attr(cls)}>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def figure(svg: str, caption_vi: str, caption_en: str) -> str:
    return (f'<figure>{svg}<figcaption>{e(caption_vi)} <span class="en" lang="en">{e(caption_en)}</span>'
            "</figcaption></figure>")


def section(sid: str, vi: str, en: str, body: str) -> str:
    return f'<section id="{sid}" aria-labelledby="{sid}-h"><h2 id="{sid}-h">{bilingual(vi, en)}</h2>{body}</section>'


# ------------------------------------------------------------------ data


@dataclass
class ReportData:
    snapshot_name: str
    levels: list[dict]
    definitions: list[dict]
    communes: list[dict]
    below_target: list[dict]
    trend: list[dict]
    tasks: list[dict]
    ranking: list[dict]
    reconciliation: list[dict]

    @property
    def home_name(self) -> str:
        names = [r["province_name"] for r in self.ranking if r["is_home"]]
        return names[0] if names else ""


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def load(analytics_db: Path) -> ReportData:
    """Read what the report shows from the snapshot (read-only: it never blocks the pipeline)."""
    analytics_db = Path(analytics_db)
    if not analytics_db.exists():
        raise FileNotFoundError(f"no analytics snapshot at {analytics_db}: run the pipeline first (hoso run)")
    con = connect(analytics_db, read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()}
        missing = [t for t in REQUIRED_TABLES if t not in present]
        if missing:
            raise ValueError(f"{analytics_db} lacks marts.{', marts.'.join(missing)}: not an analytics snapshot of "
                             "this version; re-run the pipeline")
        return ReportData(
            snapshot_name=analytics_db.name,
            levels=_rows(con, "SELECT *, timezone('Asia/Ho_Chi_Minh', window_start) AS window_start_local, "
                              "timezone('Asia/Ho_Chi_Minh', window_end) AS window_end_local "
                              f"FROM marts.online_ratio_by_level ORDER BY {LEVEL_ORDER}"),
            definitions=_rows(con, f"FROM marts.online_ratio_definitions ORDER BY {LEVEL_ORDER}, ratio_definition"),
            communes=_rows(con, "FROM marts.online_ratio_by_commune "
                                "ORDER BY online_ratio_pct DESC NULLS LAST, received DESC, unit_code"),
            below_target=_rows(con, sql_text("queries", "05_communes_below_target.sql")),
            trend=_rows(con, "FROM marts.daily_trend WHERE level_key = 'province_wide' ORDER BY received_date"),
            tasks=_rows(con, "FROM marts.commune_task_progress ORDER BY snapshot_date, tasks_done DESC"),
            ranking=_rows(con, "FROM marts.province_ranking ORDER BY snapshot_date, online_rank, province_code"),
            reconciliation=_rows(con, "FROM marts.published_reconciliation ORDER BY report_ref, figure_id"),
        )
    finally:
        con.close()


# ------------------------------------------------------------------ sections


def _no_data(what_vi: str, what_en: str) -> str:
    return f'<p class="no-data">{e(what_vi)} <span class="en" lang="en">{e(what_en)}</span></p>'


def headline_section(d: ReportData) -> str:
    if not d.levels:
        return section("tong-hop", "Tổng hợp theo cấp", "Headline by level",
                       _no_data("Chưa có số liệu.", "No data in the snapshot."))
    first = d.levels[0]
    definition = first["ratio_definition"]
    intro = (f'<p class="definition"><strong>{bilingual("Cách tính tỷ lệ", "Ratio definition")}:</strong> '
             f'<span class="def-text">{e(first["definition_text"])}</span></p>')
    rows = [([f'{e(LEVEL_SHORT.get(r["level_key"], r["level_label"]))}<br><span class="en" lang="en">'
              f'{e(LEVEL_EN.get(r["level_key"], r["level_key"]))}</span>',
              fmt_int(r["received"]), fmt_int(r["online"]), f'<strong>{fmt_pct(r["online_ratio_pct"])}</strong>',
              fmt_int(r["returned"]), e(r["formula"])], "") for r in d.levels]
    tbl = table([("Cấp", "Level", False), ("Số hồ sơ tiếp nhận", "Received", True),
                 ("Số hồ sơ trực tuyến", "Online", True), ("Tỷ lệ nộp trực tuyến", "Online ratio", True),
                 ("Số hồ sơ đã trả", "Returned", True), (f"Công thức ({definition})", "Formula", False)],
                rows, "headline")
    by_level = {}
    for r in d.definitions:
        by_level.setdefault(r["level_key"], {})[r["ratio_definition"]] = r
    keys = [r["level_key"] for r in d.levels]
    palette = iter(["#7dd3fc", "#a5b4fc", "#cbd5e1"])
    series = []
    for x in "ABCD":
        vals = [by_level.get(k, {}).get(x, {}).get("ratio_pct") for k in keys]
        series.append(Series(DEFINITION_SHORT[x], [None if v is None else float(v) for v in vals],
                             color=BLUE if x == definition else next(palette), emphasis=x == definition,
                             labels=[f"{float(v):.2f}" if v is not None else "" for v in vals]))
    values = [v for s in series for v in s.values if v is not None]
    svg = column_chart([LEVEL_SHORT.get(k, k) for k in keys], series,
                       title="Tỷ lệ nộp trực tuyến theo cấp và cách tính / Online ratio by level and definition",
                       y_max=100.0 if max(values, default=0) <= 100 else None, axis_suffix="%")
    defs = "".join(f"<li><strong>{e(x)}</strong>: {e(t.split(': ', 1)[1] if t.startswith(x + ': ') else t)}</li>"
                   for x, t in sorted({(r["ratio_definition"], r["definition_text"]) for r in d.definitions}))
    body = (intro + tbl + figure(svg, f"Cùng số liệu theo bốn cách tính; báo cáo dùng cách {definition}.",
                                 f"The same records under the four definitions; the headline uses {definition}.")
            + f'<ul class="definitions">{defs}</ul>')
    return section("tong-hop", "Tổng hợp theo cấp", "Headline by level", body)


def communes_section(d: ReportData) -> str:
    if not d.communes:
        return section("xa", "Tỷ lệ trực tuyến của các xã, phường", "Online ratio of each commune",
                       _no_data("Chưa có xã nào.", "No commune in the snapshot."))
    target = float(d.communes[0]["target_pct"])
    meets = sum(1 for c in d.communes if c["meets_target"])
    n = len(d.communes)
    bars = []
    for c in d.communes:
        ratio = c["online_ratio_pct"]
        label = f'{c["rank"]}. {c["unit_name"]}'
        if ratio is None:
            bars.append(BarRow(label, None, "— chưa có hồ sơ / no dossiers", css_class="no-dossiers"))
            continue
        below = not c["meets_target"]
        bars.append(BarRow(label, float(ratio),
                           f'{"▼ " if below else ""}{fmt_pct(ratio)} ({fmt_int(c["online"])}/{fmt_int(c["received"])})',
                           color=ORANGE if below else BLUE, css_class="below-target" if below else "meets-target",
                           bold=below))
    svg = hbar_chart(bars, title=f"Tỷ lệ nộp trực tuyến của {n} xã, phường so với chỉ tiêu {target:g}% / "
                                 f"Online ratio of the {n} communes against the {target:g}% target",
                     target=target, target_label=f"Chỉ tiêu / target {target:g}%",
                     row_height=18 if n <= 40 else 16)
    summary = (f'<p class="summary"><strong>{meets}/{n}</strong> xã, phường đạt chỉ tiêu {target:g}%; '
               f'<strong class="warn">{n - meets}</strong> chưa đạt (tô cam). '
               f'<span class="en" lang="en">{meets} of {n} communes meet the {target:g}% target; {n - meets} do not '
               f"(orange, ▼).</span></p>")
    gap_rows = [([e(r["unit_code"]), e(r["unit_name"]), fmt_int(r["received"]), fmt_int(r["online"]),
                  fmt_pct(r["online_ratio_pct"]), fmt_int(r["online_to_convert"]),
                  fmt_int(r["additional_online_needed"])], "below-target") for r in d.below_target]
    gap = ""
    if gap_rows:
        gap = ('<details><summary>' + bilingual(f"Các xã chưa đạt chỉ tiêu ({len(gap_rows)}) và số hồ sơ còn thiếu",
                                                f"communes below target ({len(gap_rows)}) and their gap in dossiers")
               + "</summary>"
               + table([("Mã xã", "Code", False), ("Tên xã, phường", "Commune", False),
                        ("Tiếp nhận", "Received", True), ("Trực tuyến", "Online", True),
                        ("Tỷ lệ", "Ratio", True), ("Cần chuyển sang trực tuyến", "Of these, to have been online", True),
                        ("Cần thêm hồ sơ trực tuyến mới", "Or new online dossiers", True)], gap_rows)
               + "</details>")
    body = summary + figure(svg, "Xếp theo tỷ lệ, cao nhất trước; đường đỏ: chỉ tiêu.",
                            "Sorted by ratio, highest first; red dashed line: the target.") + gap
    return section("xa", "Tỷ lệ trực tuyến của các xã, phường", "Online ratio of each commune", body)


def trend_section(d: ReportData) -> str:
    if not d.trend:
        return section("xu-huong", "Diễn biến theo ngày", "Daily trend",
                       _no_data("Chưa có hồ sơ trong kỳ.", "No dossier in the window."))
    by_day = {r["received_date"]: r for r in d.trend}
    first = min(by_day)
    last = max(by_day)
    if d.levels and d.levels[0].get("window_end_local"):
        last = max(last, (d.levels[0]["window_end_local"] - timedelta(microseconds=1)).date())
    if d.levels and d.levels[0].get("window_start_local"):
        first = min(first, d.levels[0]["window_start_local"].date())
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    daily, cumulative, running = [], [], None
    for day in days:
        r = by_day.get(day)
        daily.append(None if r is None or r["online_ratio_pct"] is None else float(r["online_ratio_pct"]))
        if r is not None and r["cumulative_ratio_pct"] is not None:
            running = float(r["cumulative_ratio_pct"])
        cumulative.append(running)
    shown = [v for v in daily + cumulative if v is not None]
    # The axis spans the values (in steps of 10 points), so that the day-to-day movement is visible.
    y_min = max(0.0, math.floor((min(shown) - 5) / 10) * 10)
    y_max = min(100.0, math.ceil((max(shown) + 5) / 10) * 10)
    svg = line_chart([day.strftime("%d/%m") for day in days],
                     [Series("Tỷ lệ trong ngày / daily ratio", daily, color=GREY, stroke_width=1.2, dots=True),
                      Series("Tỷ lệ lũy kế / cumulative ratio", cumulative, color=BLUE, stroke_width=2.6,
                             emphasis=True)],
                     title="Tỷ lệ nộp trực tuyến theo ngày, toàn tỉnh / Daily online ratio, province-wide",
                     y_min=y_min, y_max=max(y_max, y_min + 10))
    end = d.trend[-1]
    summary = (f'<p class="summary">Lũy kế đến {fmt_date(end["received_date"])}: '
               f'<strong>{fmt_pct(end["cumulative_ratio_pct"])}</strong> '
               f'({fmt_int(end["cumulative_online"])}/{fmt_int(end["cumulative_received"])}). '
               f'<span class="en" lang="en">Cumulative to {fmt_date(end["received_date"])}: '
               f'{fmt_pct(end["cumulative_ratio_pct"])} ({fmt_int(end["cumulative_online"])} online of '
               f'{fmt_int(end["cumulative_received"])} received).</span></p>')
    body = summary + figure(svg, "Chấm: tỷ lệ từng ngày; đường đậm: tỷ lệ lũy kế từ đầu kỳ.",
                            "Dots: each day's online share; bold line: the running ratio since the window start "
                            "(a day without dossiers has no dot).")
    return section("xu-huong", "Diễn biến theo ngày", "Daily trend", body)


def tasks_section(d: ReportData) -> str:
    if not d.tasks:
        return section("nhiem-vu", "Tiến độ nhiệm vụ cấp xã", "Commune task progress",
                       _no_data("Chưa có số liệu nhiệm vụ.", "No task snapshot."))
    snaps = sorted({r["snapshot_date"] for r in d.tasks})
    cats = sorted({r["tasks_done"] for r in d.tasks}, reverse=True)
    total = max(r["tasks_total"] for r in d.tasks)
    cell = {(r["snapshot_date"], r["tasks_done"]): r for r in d.tasks}
    below = {r["tasks_done"] for r in d.tasks if r["below_70pct"]}
    colors = [GREY, BLUE_LIGHT] if len(snaps) > 2 else [GREY]
    series = []
    for i, s in enumerate(snaps):
        latest = i == len(snaps) - 1
        vals = [cell[(s, c)]["communes"] if (s, c) in cell else 0 for c in cats]
        series.append(Series(f"{fmt_date(s)}", [float(v) for v in vals],
                             color=BLUE if latest else colors[i % len(colors)], emphasis=latest,
                             labels=[str(v) for v in vals]))
    svg = column_chart([f"{c}/{total}" for c in cats], series,
                       title="Số xã theo số nhiệm vụ đã hoàn thành / Communes by number of tasks done",
                       integer=True, category_class=lambda i: "below-70" if cats[i] in below else "",
                       category_color=lambda i: RED if cats[i] in below else INK)
    headers = [("Số nhiệm vụ hoàn thành", "Tasks done", False)]
    headers += [(f"Số xã ({fmt_date(s)})", "Communes (share)", True) for s in snaps]
    headers += [("Tỷ lệ hoàn thành", "Completion", True)]
    rows = []
    for c in cats:
        cells = [f"{c}/{total}" + (' <span class="warn">(&lt; 70%)</span>' if c in below else "")]
        for s in snaps:
            r = cell.get((s, c))
            cells.append(f'{r["communes"]} ({fmt_pct(r["share_pct"])})' if r else "0")
        cells.append(fmt_pct(100.0 * c / total if total else None))
        rows.append((cells, "below-70" if c in below else ""))
    body = figure(svg, f"Mỗi xã {total} nhiệm vụ; nhãn đỏ: dưới 70%.",
                  f"{total} tasks per commune; red labels: below 70% done.") + table(headers, rows)
    return section("nhiem-vu", "Tiến độ nhiệm vụ cấp xã", "Commune task progress", body)


def ranking_section(d: ReportData) -> str:
    if not d.ranking:
        return section("xep-hang", "Xếp hạng các tỉnh", "Province ranking",
                       _no_data("Chưa có bảng xếp hạng.", "No national snapshot."))
    latest = max(r["snapshot_date"] for r in d.ranking)
    rows = [r for r in d.ranking if r["snapshot_date"] == latest]
    rows.sort(key=lambda r: (r["online_rank"], r["province_code"]))
    bars = [BarRow(f'{r["online_rank"]}. {r["province_name"]}', None if r["online_ratio_pct"] is None
                   else float(r["online_ratio_pct"]),
                   f'{fmt_pct(r["online_ratio_pct"])} {fmt_change(r["online_rank_change"])}'.strip(),
                   color=ORANGE if r["is_home"] else BLUE_LIGHT, css_class="home" if r["is_home"] else "",
                   bold=bool(r["is_home"])) for r in rows]
    svg = hbar_chart(bars, title=f"Tỷ lệ nộp trực tuyến của {len(rows)} tỉnh, thành phố ngày {fmt_date(latest)} / "
                                 f"Online ratio of the {len(rows)} provinces on {fmt_date(latest)}",
                     row_height=16 if len(rows) > 20 else 18)
    home = [r for r in d.ranking if r["is_home"]]
    def national(v: Any) -> str:
        return f'<br><span class="muted small">bảng QG / national: {fmt_pct(v)}</span>'

    def rank(place: Any, of: Any, change: Any) -> str:
        return f"<strong>{e(place)}</strong>/{e(of)} {e(fmt_change(change))}"

    home_rows = [([fmt_date(r["snapshot_date"]),
                   rank(r["online_rank"], r["provinces"], r["online_rank_change"]),
                   fmt_pct(r["online_ratio_pct"]) + national(r["reported_online_ratio_pct"]),
                   rank(r["task_rank"], r["provinces"], r["task_rank_change"]),
                   fmt_pct(r["commune_task_pct"]) + national(r["reported_commune_task_pct"])], "home")
                 for r in home]
    tbl = table([("Ngày số liệu", "Snapshot", False), ("Hạng trực tuyến", "Online rank", True),
                 ("Tỷ lệ trực tuyến (tính lại)", "Online ratio (recomputed)", True),
                 ("Hạng nhiệm vụ cấp xã", "Commune-task rank", True),
                 ("Tỷ lệ nhiệm vụ xã hoàn thành (tính lại)", "Commune tasks done (recomputed)", True)],
                home_rows)
    name = d.home_name
    lead = bilingual(f"{name}: thứ hạng và thay đổi so với kỳ trước (▲ tăng, ▼ giảm)",
                     "ranks and places gained since the previous snapshot (▲ up, ▼ down)")
    body = (f'<p class="summary">{lead}</p>' + tbl
            + figure(svg, f"{name} tô cam; tỷ lệ của tỉnh được tính lại từ hồ sơ, các tỉnh khác theo bảng quốc gia.",
                     "Home province in orange; its ratio is recomputed from the records, the others are as "
                     "the national table shows them."))
    return section("xep-hang", "Xếp hạng các tỉnh", "Province ranking", body)


def reconciliation_section(d: ReportData) -> str:
    if not d.reconciliation:
        return section("doi-chieu", "Đối chiếu với báo cáo đã công bố", "Reconciliation with the published report",
                       _no_data("Chưa có số liệu công bố.", "No published figure in the snapshot."))
    rec = d.reconciliation
    n_match = sum(1 for r in rec if r["matches"] is True)
    n_bad = sum(1 for r in rec if r["matches"] is False)
    n_none = sum(1 for r in rec if r["matches"] is None)
    summary = (f'<p class="summary"><strong>{n_match}/{len(rec)}</strong> số liệu khớp, '
               f'<strong class="bad">{n_bad}</strong> không khớp, {n_none} không tính lại được. '
               f'<span class="en" lang="en">{n_match} of {len(rec)} figures match the records, {n_bad} do not, '
               f"{n_none} cannot be recomputed.</span></p>")
    pct_rows = [r for r in rec if r["unit"] == "percent"]
    svg_part = ""
    if pct_rows:
        values = [float(v) for r in pct_rows for v in (r["published_value"], r["recomputed_value"]) if v is not None]
        svg = column_chart(
            [r["figure_id"] for r in pct_rows],
            [Series("Công bố / published", [None if r["published_value"] is None else float(r["published_value"])
                                            for r in pct_rows], color=GREY,
                    labels=[fmt_pct(r["published_value"]) for r in pct_rows]),
             Series("Tính lại / recomputed", [None if r["recomputed_value"] is None else float(r["recomputed_value"])
                                              for r in pct_rows], color=BLUE, emphasis=True,
                    labels=[fmt_pct(r["recomputed_value"]) for r in pct_rows])],
            title="Tỷ lệ công bố và tính lại / Published and recomputed ratios",
            y_max=100.0 if max(values, default=0) <= 100 else None, axis_suffix="%",
            category_class=lambda i: "mismatch" if pct_rows[i]["matches"] is False else "",
            category_color=lambda i: RED if pct_rows[i]["matches"] is False else INK, height=280)
        svg_part = figure(svg, "Các tỷ lệ của báo cáo; nhãn đỏ: không khớp.",
                          "The report's ratios; red labels: do not match the records.")
    rows = []
    for r in rec:
        mark = {True: '<span class="ok">✓ khớp</span>', False: '<span class="bad">✗ không khớp</span>',
                None: '<span class="muted">— không tính lại được</span>'}[r["matches"]]
        finding = e(r["finding"])
        if r["matches"] is False and r["reproduced_by"]:
            finding += f'<br><span class="muted small">→ <code>{e(r["reproduced_by"])}</code></span>'
        cls = {True: "", False: "mismatch", None: "not-recomputable"}[r["matches"]]
        rows.append(([e(r["report_ref"]), f'<code>{e(r["figure_id"])}</code>', e(r["label_vi"]),
                      fmt_value(r["published_value"], r["unit"]), fmt_value(r["recomputed_value"], r["unit"]),
                      mark, finding], cls))
    tbl = table([("Mục", "Item", False), ("Mã", "Figure", False), ("Nội dung như báo cáo", "Label as published", False),
                 ("Công bố", "Published", True), ("Tính lại", "Recomputed", True), ("Khớp", "Match", False),
                 ("Kết luận", "Finding", False)], rows, "reconciliation")
    return section("doi-chieu", "Đối chiếu với báo cáo đã công bố", "Reconciliation with the published report",
                   summary + svg_part + tbl)


# ------------------------------------------------------------------ page

CSS = """
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; --warn: #c2410c; --bad: #b91c1c;
        --bad-bg: #fef2f2; --bg: #f8fafc; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5; font-size: 15px;
       font-family: "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial,
                    sans-serif; }
header, main, footer { max-width: 1080px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 1.25rem; margin: 0 0 12px; }
.en { color: var(--muted); font-weight: normal; }
.meta { color: var(--muted); margin: 0 0 8px; }
nav ol { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 12px 0 0; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin: 20px 0; }
figure { margin: 16px 0; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 0.85rem; background: #f1f5f9; }
th .en { font-size: 0.8rem; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.mismatch td { background: var(--bad-bg); }
tr.mismatch td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
tr.not-recomputable td { color: var(--muted); }
tr.home td { background: #fff7ed; }
.ok { color: #15803d; font-weight: 600; white-space: nowrap; }
.bad { color: var(--bad); font-weight: 600; white-space: nowrap; }
.warn { color: var(--warn); }
.muted { color: var(--muted); }
.small { font-size: 0.82rem; }
.summary { font-size: 1.02rem; }
.definition .def-text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92rem; }
ul.definitions { color: var(--muted); font-size: 0.9rem; margin: 4px 0 0; padding-left: 20px; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--accent); }
code { font-size: 0.88em; }
table.reconciliation td:nth-child(3) { min-width: 11em; }
footer { color: var(--muted); font-size: 0.85rem; padding-bottom: 32px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; padding: 0; }
               nav { display: none; } }
"""

SECTIONS = (("tong-hop", "Tổng hợp", "Headline"), ("xa", "Các xã", "Communes"), ("xu-huong", "Theo ngày", "Trend"),
            ("nhiem-vu", "Nhiệm vụ xã", "Tasks"), ("xep-hang", "Xếp hạng tỉnh", "Ranking"),
            ("doi-chieu", "Đối chiếu", "Reconciliation"))


def render_html(d: ReportData) -> str:
    name = d.home_name or "—"
    window = ""
    if d.levels:
        window = (f'{fmt_date(d.levels[0]["window_start_local"])} – {fmt_date(d.levels[0]["window_end_local"])} '
                  "(Asia/Ho_Chi_Minh)")
    nav = "".join(f'<li><a href="#{sid}">{e(vi)} <span class="en" lang="en">/ {e(en)}</span></a></li>'
                  for sid, vi, en in SECTIONS)
    title = f"Tỷ lệ nộp hồ sơ trực tuyến — {name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f"<title>{e(title)} / Online submission report</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f'<h1>{e(title)}<br><span class="en" lang="en">Online submission of administrative dossiers — report'
        "</span></h1>",
        f'<p class="meta">{bilingual("Kỳ báo cáo", "Reporting window")}: {e(window)} · '
        f'{bilingual("Nguồn", "Source")}: <code>{e(d.snapshot_name)}</code> (schema <code>marts</code>)</p>',
        f'<nav aria-label="Mục lục / Contents"><ol>{nav}</ol></nav>',
        "</header>",
        "<main>",
        headline_section(d),
        communes_section(d),
        trend_section(d),
        tasks_section(d),
        ranking_section(d),
        reconciliation_section(d),
        "</main>",
        "<footer>",
        "<p>" + bilingual("Báo cáo tĩnh, không cần mạng, không chứa dữ liệu cá nhân; tạo từ ảnh chụp phân tích",
                          "Static page: works offline, no personal data; generated from the analytics snapshot")
        + f" <code>{e(d.snapshot_name)}</code> (reports.html.render_report).</p>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def render_report(analytics_db: Path, out_html: Path) -> Path:
    """Write the report of the analytics snapshot `analytics_db` to `out_html` (replaced atomically) and return
    its path."""
    out_html = Path(out_html)
    page = render_html(load(Path(analytics_db)))
    out_html.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_html.with_name(f".{out_html.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_html)
    return out_html


__all__ = ["render_report", "render_html", "load", "ReportData"]
