"""The static HTML report: one self-contained page (inline CSS, inline SVG charts, no script, no network) built from
the analysts' snapshot (HOSO_ANALYTICS_DB) only.

    render_report(analytics_db, out_html) -> out_html

Sections: the headline per level (with the definition named and the four definitions side by side), the online
ratio of every commune against the commune target, the ranking of the province-level agencies (sở, ngành), the
daily trend (dossiers per day, a day without any drawn as such), on-time and overdue dossiers per level
(marts.on_time_by_level), the commune task progress per snapshot with the tasks each lagging commune has not done
(marts.commune_task_status), the province ranking, the reconciliation with the published report (its findings
in Vietnamese, the English beneath), and the data quality (records quarantined by reason and severity, the worst
files, the trend over the loads; when the snapshot has the data_quality tables). A snapshot of an older version without the two newer marts is shown without
those parts. Labels are Vietnamese with the English beside them; numbers are written as Vietnamese readers
expect (224.930; 72,35%).

The page links the validation summary (validation.html) and Great Expectations' data docs (data_docs/index.html),
which the pipeline writes into the same folder. The generated-at line is the snapshot's build time
(data_quality.snapshot_info.built_at), or, in a snapshot without it, the time of the latest load its records come
from: the same snapshot gives the same bytes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import escape
from pathlib import Path
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reports.charts import (BLUE, BLUE_LIGHT, GREY, INK, ORANGE, RED, BarRow, Series, column_chart, hbar_chart,
                            line_chart, tick_text, value_axis, vn_number)
from reports.validation_summary import REASON_VI, SEVERITY
from warehouse.db import connect, sql_text

REQUIRED_TABLES = ("online_ratio_by_level", "online_ratio_definitions", "online_ratio_by_commune", "daily_trend",
                   "commune_task_progress", "province_ranking", "published_reconciliation")
LEVEL_ORDER = "CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END"
LEVEL_EN = {"province_wide": "Province-wide", "province_agencies": "Province-level agencies", "commune": "Communes"}
# The marts' level labels (marts.online_ratio_definitions.level_label): one label per level everywhere.
LEVEL_VI = {"province_wide": "Toàn tỉnh (sở, ngành và cấp xã)", "province_agencies": "Cấp tỉnh (sở, ngành)",
            "commune": "Cấp xã"}
# Marts the report shows when the snapshot has them (a snapshot of an older version lacks them).
OPTIONAL_TABLES = ("on_time_by_level", "commune_task_status")
VALIDATION_PAGE = "validation.html"
DATA_DOCS_PAGE = "data_docs/index.html"
VN_TZ = "Asia/Ho_Chi_Minh"
DEFINITION_SHORT = {"A": "A (báo cáo / report)", "B": "B (MucDo 3–4)", "C": "C (bỏ BCCI / no postal)",
                    "D": "D (A × đồng bộ / sync)"}


# ------------------------------------------------------------------ formatting


def fmt_int(v: Any) -> str:
    """224930 -> 224.930"""
    return "—" if v is None else vn_number(int(v))


def fmt_pct(v: Any) -> str:
    """72.35 -> 72,35%"""
    return "—" if v is None else vn_number(float(v), 2) + "%"


def fmt_num(v: Any, decimals: int = 2) -> str:
    return "—" if v is None else vn_number(float(v), decimals)


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
    return fmt_int(v) if float(v) == int(float(v)) else fmt_num(v)


def e(s: Any) -> str:
    return escape("" if s is None else str(s))


def bilingual(vi: str, en: str) -> str:
    return f'{e(vi)} <span class="en" lang="en">/ {e(en)}</span>'


def bilingual_text(text: str | None) -> str:
    """A text of the marts written 'Vietnamese | English': the English part shown as such."""
    vi, sep, en = str(text or "").partition(" | ")
    return bilingual(vi, en) if sep else e(vi)


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
    agencies: list[dict] = field(default_factory=list)
    on_time: list[dict] | None = None          # marts.on_time_by_level, when the snapshot has it
    task_status: list[dict] | None = None      # marts.commune_task_status, when the snapshot has it
    quality: dict | None = None                # the data_quality tables, when the snapshot has them
    scorecard: dict | None = None              # marts.indicators and marts.indicator_ranking, when the snapshot has them
    generated_at: datetime | None = None       # local time (Asia/Ho_Chi_Minh)
    generated_from: str | None = None          # "snapshot_info" (build time) or "load" (latest load's start)

    @property
    def home_name(self) -> str:
        names = [r["province_name"] for r in self.ranking if r["is_home"]]
        return names[0] if names else ""


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _table_names(con, schema: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = ?",
                                      [schema]).fetchall()}


def _load_id_time(load_id: str | None) -> datetime | None:
    """A load id starts with its UTC start time, yyyyMMddTHHmmss (warehouse/load.py new_load_id)."""
    try:
        return datetime.strptime((load_id or "")[:15], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def generated_at(con) -> tuple[datetime | None, str | None]:
    """When the snapshot was built, in local time, read from the snapshot itself (so the same snapshot renders the
    same bytes): data_quality.snapshot_info.built_at when the snapshot has it; otherwise the start of the latest
    load behind its records (the newest marts.fct_case_files.last_load_id)."""
    if "snapshot_info" in _table_names(con, "data_quality"):
        cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = "
                                          "'data_quality' AND table_name = 'snapshot_info'").fetchall()}
        if "built_at" in cols:
            row = con.execute("SELECT max(built_at)::TIMESTAMPTZ FROM data_quality.snapshot_info").fetchone()
            if row and row[0] is not None:
                return row[0].astimezone(ZoneInfo(VN_TZ)), "snapshot_info"
    row = con.execute("SELECT max(last_load_id) FROM marts.fct_case_files").fetchone()
    at = _load_id_time(row[0] if row else None)
    return (at.astimezone(ZoneInfo(VN_TZ)), "load") if at else (None, None)


QUALITY_TABLES = ("issues_by_reason", "file_outcomes", "quarantine_by_file", "load_summary", "format_summary")
WORST_FILES = 10


def load_quality(con) -> dict | None:
    """What the data-quality section shows, from the snapshot's data_quality tables (counts only); None when the
    snapshot does not have them all."""
    if not set(QUALITY_TABLES) <= _table_names(con, "data_quality"):
        return None
    return {
        "issues": _rows(con, "FROM data_quality.issues_by_reason "
                             "ORDER BY severity, records_quarantined DESC, records_flagged DESC, entity, reason"),
        "formats": _rows(con, "FROM data_quality.format_summary ORDER BY records_read DESC, source_format"),
        "loads": _rows(con, "FROM data_quality.load_summary ORDER BY load_seq"),
        # the worst files: most records quarantined, then the files refused whole
        "quarantined_files": _rows(con, f"""
            SELECT f.file_path, f.source_format, f.records_read, f.records_quarantined, f.quarantined_pct,
                   (SELECT string_agg(q.reason || ' (' || q.records_quarantined || ')', '; '
                                      ORDER BY q.records_quarantined DESC, q.reason)
                    FROM data_quality.quarantine_by_file q
                    WHERE q.file_path = f.file_path AND q.file_sha256 = f.file_sha256) AS reasons
            FROM data_quality.file_outcomes f WHERE f.records_quarantined > 0
            ORDER BY f.records_quarantined DESC, f.quarantined_pct DESC, f.file_path LIMIT {WORST_FILES}"""),
        "refused_files": _rows(con, "FROM data_quality.file_outcomes WHERE outcome <> 'loaded' "
                                    "ORDER BY outcome DESC, file_path"),
    }


# The scorecard's levels: marts.indicators grain -> the level key the other sections name it by (one list for the
# query, the chart and the table).
SCORECARD_LEVELS = {"province": "province_wide", "province_agencies": "province_agencies", "communes": "commune"}


def load_scorecard(con) -> dict:
    """The home province's 766 indicators over the window (province, its agencies, its communes), its national rank
    on each, and the communes furthest from each full-score value (warehouse/queries/09)."""
    home = "(SELECT any_value(province_code) FROM marts.indicator_ranking WHERE is_home)"
    rows = _rows(con, f"""
        SELECT i.indicator, i.definition, i.label_vi, i.label_en, i.provenance, i.grain, i.numerator, i.denominator,
               i.value_pct, i.full_score_at_pct, i.not_from_portal, r.rank, r.provinces_ranked, r.rank_change
        FROM marts.indicators i
        LEFT JOIN marts.indicator_ranking r
               ON i.grain = 'province' AND r.period_type = 'window' AND r.indicator = i.indicator
              AND r.definition = i.definition AND r.province_code = i.province_code
        WHERE i.province_code = {home} AND i.period_type = 'window'
          AND i.grain IN ({', '.join(repr(g) for g in SCORECARD_LEVELS)})
        ORDER BY i.indicator, i.definition, i.grain""")
    by_indicator: dict[tuple[str, str], dict] = {}
    for r in rows:
        entry = by_indicator.setdefault((r["indicator"], r["definition"]), {**r, "grains": {}})
        entry["grains"][r["grain"]] = r
        if r["grain"] == "province":
            entry.update(rank=r["rank"], provinces_ranked=r["provinces_ranked"], rank_change=r["rank_change"])
    return {"indicators": list(by_indicator.values()),
            "furthest": _rows(con, sql_text("queries", "09_communes_furthest_from_target.sql"))}


def load(analytics_db: Path) -> ReportData:
    """Read what the report shows from the snapshot (read-only: it never blocks the pipeline)."""
    analytics_db = Path(analytics_db)
    if not analytics_db.exists():
        raise FileNotFoundError(f"no analytics snapshot at {analytics_db}: run the pipeline first (hoso run)")
    con = connect(analytics_db, read_only=True)
    try:
        present = _table_names(con, "marts")
        missing = [t for t in REQUIRED_TABLES if t not in present]
        if missing:
            raise ValueError(f"{analytics_db} lacks marts.{', marts.'.join(missing)}: not an analytics snapshot of "
                             "this version; re-run the pipeline")
        at, source = generated_at(con)
        return ReportData(
            snapshot_name=analytics_db.name,
            # window_start / window_end are Vietnam wall-clock time (TIMESTAMP) in the marts.
            levels=_rows(con, "SELECT *, window_start AS window_start_local, window_end AS window_end_local "
                              f"FROM marts.online_ratio_by_level WHERE is_home ORDER BY {LEVEL_ORDER}"),
            definitions=_rows(con, "FROM marts.online_ratio_definitions WHERE is_home "
                                   f"ORDER BY {LEVEL_ORDER}, ratio_definition"),
            communes=_rows(con, "FROM marts.online_ratio_by_commune WHERE is_home "
                                "ORDER BY online_ratio_pct DESC NULLS LAST, received DESC, unit_code"),
            below_target=_rows(con, sql_text("queries", "05_communes_below_target.sql")),
            trend=_rows(con, "FROM marts.daily_trend WHERE is_home AND level_key = 'province_wide' "
                             "ORDER BY received_date"),
            tasks=_rows(con, "FROM marts.commune_task_progress ORDER BY snapshot_date, tasks_done DESC"),
            ranking=_rows(con, "FROM marts.province_ranking ORDER BY snapshot_date, online_rank, province_code"),
            reconciliation=_rows(con, "FROM marts.published_reconciliation ORDER BY report_ref, figure_id"),
            agencies=_rows(con, "FROM marts.ratio_by_agency WHERE is_home ORDER BY rank, unit_code")
            if "ratio_by_agency" in present else [],
            on_time=_rows(con, f"FROM marts.on_time_by_level WHERE is_home ORDER BY {LEVEL_ORDER}")
            if "on_time_by_level" in present else None,
            task_status=_rows(con, "FROM marts.commune_task_status "
                                   "ORDER BY snapshot_date, tasks_done, commune_code, task_code")
            if "commune_task_status" in present else None,
            generated_at=at,
            generated_from=source,
            quality=load_quality(con),
            scorecard=load_scorecard(con) if {"indicators", "indicator_ranking"} <= present else None,
        )
    finally:
        con.close()


# ------------------------------------------------------------------ sections


def level_vi(r: dict) -> str:
    """The level's label as the marts write it (one label per level everywhere)."""
    return LEVEL_VI.get(r.get("level_key"), r.get("level_label") or r.get("level_key") or "")


def formula(r: dict) -> str:
    """numerator / denominator (x sync ratio under D), in Vietnamese number format."""
    text = f'{fmt_int(r["numerator"])} / {fmt_int(r["denominator"])}'
    rest = str(r.get("formula") or "").split(" × ", 1)
    if len(rest) == 2:
        text += f" × {rest[1]}"
    return text


def _no_data(what_vi: str, what_en: str) -> str:
    return f'<p class="no-data">{e(what_vi)} <span class="en" lang="en">{e(what_en)}</span></p>'


def headline_section(d: ReportData) -> str:
    if not d.levels:
        return section("tong-hop", "Tổng hợp theo cấp", "Headline by level",
                       _no_data("Chưa có số liệu.", "No data in the snapshot."))
    first = d.levels[0]
    definition = first["ratio_definition"]
    intro = (f'<p class="definition"><strong>{bilingual("Cách tính tỷ lệ", "Ratio definition")}:</strong> '
             f'<span class="def-text">{bilingual_text(first["definition_text"])}</span></p>')
    rows = [([f'{e(level_vi(r))}<br><span class="en" lang="en">{e(LEVEL_EN.get(r["level_key"], r["level_key"]))}'
              "</span>",
              fmt_int(r["received"]), fmt_int(r["online"]), f'<strong>{fmt_pct(r["online_ratio_pct"])}</strong>',
              fmt_int(r["returned"]), e(formula(r))], "") for r in d.levels]
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
                             labels=[fmt_num(v) if v is not None else "" for v in vals]))
    values = [v for s in series for v in s.values if v is not None]
    svg = column_chart([level_vi(r) for r in d.levels], series,
                       title="Tỷ lệ nộp trực tuyến theo cấp và cách tính / Online ratio by level and definition",
                       y_max=100.0 if max(values, default=0) <= 100 else None, axis_suffix="%")
    defs = "".join(f"<li><strong>{e(x)}</strong>: "
                   f"{bilingual_text(t.split(': ', 1)[1] if t.startswith(x + ': ') else t)}</li>"
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
    tgt = tick_text(target)
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
    svg = hbar_chart(bars, title=f"Tỷ lệ nộp trực tuyến của {n} xã, phường so với chỉ tiêu {tgt}% / "
                                 f"Online ratio of the {n} communes against the {tgt}% target",
                     target=target, target_label=f"Chỉ tiêu / target {tgt}%",
                     row_height=18 if n <= 40 else 16)
    summary = (f'<p class="summary"><strong>{meets}/{n}</strong> xã, phường đạt chỉ tiêu {tgt}%; '
               f'<strong class="warn">{n - meets}</strong> chưa đạt (tô cam). '
               f'<span class="en" lang="en">{meets} of {n} communes meet the {tgt}% target; {n - meets} do not '
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


def trend_days(d: ReportData) -> list[tuple[date, dict | None]]:
    """Every local day of the reporting window (and of the trend), with its mart row or None: a day without any
    dossier has no row in marts.daily_trend but is part of the window."""
    by_day = {r["received_date"]: r for r in d.trend}
    first, last = min(by_day), max(by_day)
    if d.levels and d.levels[0].get("window_end_local"):
        last = max(last, (d.levels[0]["window_end_local"] - timedelta(microseconds=1)).date())
    if d.levels and d.levels[0].get("window_start_local"):
        first = min(first, d.levels[0]["window_start_local"].date())
    return [(day, by_day.get(day)) for day in (first + timedelta(days=i) for i in range((last - first).days + 1))]


def trend_section(d: ReportData) -> str:
    if not d.trend:
        return section("xu-huong", "Diễn biến theo ngày", "Daily trend",
                       _no_data("Chưa có hồ sơ trong kỳ.", "No dossier in the window."))
    days = trend_days(d)
    daily, cumulative, received, empty, running = [], [], [], [], None
    for i, (day, r) in enumerate(days):
        n = 0 if r is None else int(r["received"] or 0)
        received.append(float(n))
        if n == 0:
            empty.append(i)
        daily.append(None if r is None or r["online_ratio_pct"] is None else float(r["online_ratio_pct"]))
        if r is not None and r["cumulative_ratio_pct"] is not None:
            running = float(r["cumulative_ratio_pct"])
        cumulative.append(running)
    shown = [v for v in daily + cumulative if v is not None]
    # The axis spans the values (in steps of 10 points), so that the day-to-day movement is visible.
    y_min = max(0.0, math.floor((min(shown) - 5) / 10) * 10)
    y_max = min(100.0, math.ceil((max(shown) + 5) / 10) * 10)
    labels = [day.strftime("%d/%m") for day, _ in days]
    svg = line_chart(labels,
                     [Series("Tỷ lệ trong ngày / daily ratio", daily, color=GREY, stroke_width=1.2, dots=True),
                      Series("Tỷ lệ lũy kế / cumulative ratio", cumulative, color=BLUE, stroke_width=2.6,
                             emphasis=True)],
                     title="Tỷ lệ nộp trực tuyến theo ngày, toàn tỉnh / Daily online ratio, province-wide",
                     y_min=y_min, y_max=max(y_max, y_min + 10), empty=empty, empty_label="0")
    counts = column_chart(
        labels, [Series("Số hồ sơ tiếp nhận trong ngày / dossiers received that day", received, color=BLUE_LIGHT,
                        labels=["0" if v == 0 else "" for v in received])],
        title="Số hồ sơ tiếp nhận theo ngày, toàn tỉnh / Dossiers received per day, province-wide",
        integer=True, height=220, label_every=max(1, math.ceil(len(days) / 12)),
        category_class=lambda i: "empty-day" if received[i] == 0 else "")
    end = d.trend[-1]
    summary = (f'<p class="summary">Lũy kế đến {fmt_date(end["received_date"])}: '
               f'<strong>{fmt_pct(end["cumulative_ratio_pct"])}</strong> '
               f'({fmt_int(end["cumulative_online"])}/{fmt_int(end["cumulative_received"])}). '
               f'<span class="en" lang="en">Cumulative to {fmt_date(end["received_date"])}: '
               f'{fmt_pct(end["cumulative_ratio_pct"])} ({fmt_int(end["cumulative_online"])} online of '
               f'{fmt_int(end["cumulative_received"])} received).</span></p>')
    if empty:
        listed = ", ".join(labels[i] for i in empty)
        summary += (f'<p class="small muted">{len(empty)} ngày không có hồ sơ nào ({e(listed)}): cột nền xám, '
                    f'số 0. <span class="en" lang="en">{len(empty)} days without any dossier ({e(listed)}): grey '
                    "band, 0.</span></p>")
    body = (summary
            + figure(svg, "Chấm: tỷ lệ từng ngày; đường đậm: tỷ lệ lũy kế từ đầu kỳ; nền xám, số 0: ngày không có "
                          "hồ sơ (không có tỷ lệ).",
                     "Dots: each day's online share; bold line: the running ratio since the window start; grey band "
                     "marked 0: a day without any dossier (no ratio that day).")
            + figure(counts, "Số hồ sơ tiếp nhận mỗi ngày; ngày không có hồ sơ nào ghi 0.",
                     "Dossiers received each day; a day without any is marked 0."))
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
    body = (figure(svg, f"Mỗi xã {total} nhiệm vụ; nhãn đỏ: dưới 70%.",
                   f"{total} tasks per commune; red labels: below 70% done.") + table(headers, rows)
            + commune_tasks_part(d))
    return section("nhiem-vu", "Tiến độ nhiệm vụ cấp xã", "Commune task progress", body)


def commune_tasks_part(d: ReportData) -> str:
    """The tasks each lagging commune has not done at the latest snapshot (marts.commune_task_status; nothing when
    the snapshot does not have it)."""
    if not d.task_status:
        return ""
    latest = max(r["snapshot_date"] for r in d.task_status)
    communes: dict[str, dict] = {}
    for r in d.task_status:
        if r["snapshot_date"] != latest:
            continue
        c = communes.setdefault(r["commune_code"], {**r, "missing": []})
        if not r["is_done"]:
            c["missing"].append(r)
    lagging = sorted((c for c in communes.values() if c["missing"]),
                     key=lambda c: (c["tasks_done"], c["commune_code"]))
    n_below = sum(1 for c in lagging if c["below_70pct"])
    head = (f'<h3 id="xa-cham">{bilingual("Nhiệm vụ chưa hoàn thành của từng xã", "Tasks not done, per commune")} '
            f'<span class="muted small">({fmt_date(latest)})</span></h3>')
    if not lagging:
        return head + _no_data("Mọi xã đã hoàn thành đủ nhiệm vụ.", "Every commune has done every task.")
    summary = (f'<p class="summary"><strong>{len(lagging)}/{len(communes)}</strong> xã chưa hoàn thành đủ nhiệm vụ, '
               f'<strong class="warn">{n_below}</strong> dưới 70%. <span class="en" lang="en">{len(lagging)} of '
               f"{len(communes)} communes have tasks left, {n_below} below 70% done.</span></p>")
    rows = []
    for c in lagging:
        tasks = "; ".join(f'<code>{e(m["task_code"])}</code> {e(m["task_name"])}' for m in c["missing"])
        rows.append(([e(c["commune_code"]), e(c["commune_name"]),
                      f'{c["tasks_done"]}/{c["tasks_total"]}', fmt_pct(c["completion_pct"]), tasks],
                     "below-70" if c["below_70pct"] else ""))
    tbl = table([("Mã xã", "Code", False), ("Tên xã, phường", "Commune", False),
                 ("Đã hoàn thành", "Done", True), ("Tỷ lệ", "Completion", True),
                 ("Nhiệm vụ chưa hoàn thành", "Tasks not done", False)], rows, "task-gaps")
    return (head + summary + f'<details{" open" if len(rows) <= 15 else ""}><summary>'
            + bilingual(f"Danh sách {len(rows)} xã, ít nhiệm vụ hoàn thành nhất trước",
                        f"the {len(rows)} communes, fewest tasks done first") + "</summary>" + tbl + "</details>")


def agencies_section(d: ReportData) -> str:
    title = ("so-nganh", "Xếp hạng các sở, ngành", "Ranking of the province-level agencies")
    if not d.agencies:
        return section(*title, _no_data("Chưa có số liệu sở, ngành.", "No agency in the snapshot."))
    level = next((r for r in d.levels if r["level_key"] == "province_agencies"), None)
    avg = None if level is None or level["online_ratio_pct"] is None else float(level["online_ratio_pct"])
    bars = []
    for a in d.agencies:
        ratio = a["online_ratio_pct"]
        label = f'{a["rank"]}. {a["unit_name"]}'
        if ratio is None:
            bars.append(BarRow(label, None, "— chưa có hồ sơ / no dossiers", css_class="no-dossiers"))
            continue
        below = avg is not None and float(ratio) < avg
        bars.append(BarRow(label, float(ratio), f'{fmt_pct(ratio)} ({fmt_int(a["online"])}/{fmt_int(a["received"])})',
                           color=ORANGE if below else BLUE, css_class="below-average" if below else "above-average"))
    n = len(d.agencies)
    svg = hbar_chart(bars, title=f"Tỷ lệ nộp trực tuyến của {n} sở, ngành / Online ratio of the {n} province-level "
                                 "agencies",
                     target=avg, target_label=f"{LEVEL_VI['province_agencies']}: {fmt_pct(avg)}" if avg else "",
                     row_height=18, label_width=280)
    rows = [([f'<strong>{e(a["rank"])}</strong>', e(a["unit_code"]), e(a["unit_name"]), fmt_int(a["received"]),
              fmt_int(a["online"]), f'<strong>{fmt_pct(a["online_ratio_pct"])}</strong>', fmt_int(a["returned"]),
              fmt_pct(a.get("on_time_pct"))],
             "below-average" if avg is not None and a["online_ratio_pct"] is not None
             and float(a["online_ratio_pct"]) < avg else "") for a in d.agencies]
    tbl = table([("Hạng", "Rank", True), ("Mã", "Code", False), ("Sở, ngành", "Agency", False),
                 ("Tiếp nhận", "Received", True), ("Trực tuyến", "Online", True),
                 ("Tỷ lệ trực tuyến", "Online ratio", True), ("Đã trả", "Returned", True),
                 ("Tỷ lệ đúng hạn", "On time (of processed)", True)], rows, "agencies")
    below = sum(1 for b in bars if b.css_class == "below-average")
    summary = ""
    if avg is not None:
        summary = (f'<p class="summary"><strong class="warn">{below}/{n}</strong> sở, ngành dưới tỷ lệ chung của cấp '
                   f'tỉnh ({fmt_pct(avg)}, tô cam). <span class="en" lang="en">{below} of {n} agencies are below the '
                   f"province-level ratio of {fmt_pct(avg)} (orange).</span></p>")
    body = summary + figure(svg, "Xếp theo tỷ lệ, cao nhất trước; đường đỏ: tỷ lệ chung của cấp tỉnh (sở, ngành).",
                            "Sorted by ratio, highest first; red dashed line: the ratio of all province-level "
                            "agencies together.") + tbl
    return section(*title, body)


def on_time_section(d: ReportData) -> str:
    """On-time and overdue dossiers per level (marts.on_time_by_level); the caller leaves the section out when the
    snapshot does not have the mart."""
    rows_in = d.on_time or []
    title = ("dung-han", "Giải quyết đúng hạn, quá hạn theo cấp", "On-time and overdue dossiers by level")
    if not rows_in:
        return section(*title, _no_data("Chưa có số liệu.", "No data in the snapshot."))
    as_of = rows_in[0].get("as_of")
    if isinstance(as_of, datetime) and as_of.tzinfo is not None:
        as_of = as_of.astimezone(ZoneInfo(VN_TZ))
    rows = [([f'{e(level_vi(r))}<br><span class="en" lang="en">{e(LEVEL_EN.get(r["level_key"], r["level_key"]))}'
              "</span>",
              fmt_int(r["processed"]), fmt_int(r["processed_on_time"]),
              fmt_int(r["processed_late"]), f'<strong>{fmt_pct(r["on_time_pct"])}</strong>',
              fmt_int(r["open"]), f'<strong class="warn">{fmt_int(r["open_overdue"])}</strong>',
              fmt_pct(r["overdue_pct"]), fmt_int(r["not_assessed"])], "") for r in rows_in]
    tbl = table([("Cấp", "Level", False), ("Đã xử lý", "Processed", True),
                 ("Đúng hạn", "On time", True), ("Trễ hạn", "Late", True),
                 ("Tỷ lệ đúng hạn", "On time %", True), ("Đang giải quyết", "Open", True),
                 ("Quá hạn", "Overdue", True), ("Tỷ lệ quá hạn", "Overdue %", True),
                 ("Không xét", "Not assessed", True)], rows, "on-time")
    series = [Series("Đúng hạn, trong số đã xử lý / on time, of processed",
                     [None if r["on_time_pct"] is None else float(r["on_time_pct"]) for r in rows_in], color=BLUE,
                     emphasis=True, labels=[fmt_pct(r["on_time_pct"]) for r in rows_in]),
              Series("Quá hạn, trong số đang giải quyết / overdue, of open",
                     [None if r["overdue_pct"] is None else float(r["overdue_pct"]) for r in rows_in], color=ORANGE,
                     labels=[fmt_pct(r["overdue_pct"]) for r in rows_in])]
    svg = column_chart([level_vi(r) for r in rows_in], series, y_max=100.0, axis_suffix="%",
                       title="Tỷ lệ đúng hạn và quá hạn theo cấp / On-time and overdue shares by level")
    at = f" {fmt_date(as_of)}" if isinstance(as_of, (date, datetime)) else ""
    note = (f'<p class="small muted">Đúng hạn: ngày kết thúc xử lý không muộn hơn ngày hẹn trả. Quá hạn: chưa xử lý '
            f"xong mà đã quá ngày hẹn trả tính đến{at or ' cuối kỳ'} (giờ Việt Nam). Không xét: không có ngày hẹn trả, "
            "hoặc bị từ chối, công dân rút hồ sơ, dừng xử lý. "
            '<span class="en" lang="en">On time: processing finished no later than the promised date. Overdue: not '
            f"finished and past the promised date as of{at or ' the window end'}. Not assessed: no promised date, or "
            "refused, withdrawn or stopped.</span></p>")
    return section(*title, figure(svg, "Theo cấp; số liệu từ marts.on_time_by_level.",
                                  "By level; figures from marts.on_time_by_level.") + tbl + note)


def _indicator_name(r: dict) -> str:
    definition = "" if r["definition"] in ("P", "A") else f' <span class="muted small">({e(r["definition"])})</span>'
    return (f'<strong>{e(r["indicator"])}</strong> {e(r["label_vi"])}{definition}<br>'
            f'<span class="en" lang="en">{e(r["label_en"])}</span>')


def _value_cell(g: dict | None, target: Any) -> str:
    if g is None or g["value_pct"] is None:
        return "—"
    below = target is not None and g["value_pct"] < target
    value = f'<strong class="warn">{fmt_pct(g["value_pct"])}</strong>' if below else fmt_pct(g["value_pct"])
    return f'{value}<br><span class="muted small">{fmt_int(g["numerator"])}/{fmt_int(g["denominator"])}</span>'


def scorecard_section(d: ReportData) -> str:
    """The home province's 766 indicators against their full-score values, by level, with its national rank
    (marts.indicators, marts.indicator_ranking); the caller leaves the section out without those marts."""
    title = ("chi-so", "Bộ chỉ số 766", "The 766 indicators")
    items = (d.scorecard or {}).get("indicators") or []
    if not items:
        return section(*title, _no_data("Chưa có số liệu.", "No data in the snapshot."))
    names = [f'{r["indicator"]}{"" if r["definition"] in ("P", "A") else " " + r["definition"]}' for r in items]
    series = [Series(f"{level_vi({'level_key': key})} / {LEVEL_EN[key]}",
                     [None if (g := r["grains"].get(grain)) is None or g["value_pct"] is None else float(g["value_pct"])
                      for r in items], color=color, emphasis=grain == "province",
                     labels=[fmt_pct(r["grains"][grain]["value_pct"]) if grain == "province" and grain in r["grains"]
                             else "" for r in items])
              for (grain, key), color in zip(SCORECARD_LEVELS.items(), (BLUE, BLUE_LIGHT, ORANGE), strict=True)]
    svg = column_chart(names, series, y_max=100.0, axis_suffix="%",
                       title="Các chỉ số 766 theo cấp / The 766 indicators by level")

    def rank(r: dict) -> str:
        if r.get("rank") is None:
            return "—"
        return f'{r["rank"]}/{r["provinces_ranked"]} <span class="muted small">{fmt_change(r["rank_change"])}</span>' \
            if r.get("rank_change") is not None else f'{r["rank"]}/{r["provinces_ranked"]}'

    rows = [([_indicator_name(r), e(r["provenance"]),
              *(_value_cell(r["grains"].get(g), r["full_score_at_pct"]) for g in SCORECARD_LEVELS),
              fmt_pct(r["full_score_at_pct"]) if r["full_score_at_pct"] is not None else "—", rank(r)], "")
            for r in items]
    tbl = table([("Chỉ số", "Indicator", False), ("Nguồn", "Rule", False),
                 ("Toàn tỉnh", "Province-wide", True), ("Sở, ngành", "Agencies", True), ("Cấp xã", "Communes", True),
                 ("Điểm tối đa khi", "Full score at", True), ("Hạng", "Rank", True)], rows, "scorecard")
    furthest = (d.scorecard or {}).get("furthest") or []
    far_rows = [([f'<strong>{e(r["indicator"])}</strong>', str(r["position"]), e(r["commune_name"]),
                  fmt_pct(r["value_pct"]), fmt_pct(r["full_score_at_pct"]), fmt_num(r["gap_pts"])], "")
                for r in furthest]
    far = (f'<h3 id="chi-so-xa">{bilingual("Các xã xa mức tối đa nhất", "Communes furthest from the full score")}</h3>'
           + table([("Chỉ số", "Indicator", False), ("#", "#", True), ("Xã, phường", "Commune", False),
                    ("Giá trị", "Value", True), ("Tối đa khi", "Full score at", True),
                    ("Cách (điểm %)", "Gap (pts)", True)], far_rows, "furthest")) if far_rows else ""
    note = ('<p class="small muted">Kỳ báo cáo; giá trị = tử số / mẫu số. Nguồn: P cách tính của Cổng DVCQG, V của hệ '
            "thống giải quyết TTHC tỉnh (docs/indicators.md). Hạng: trong số các tỉnh có số liệu, từ hồ sơ. "
            '<span class="en" lang="en">Reporting window; value = numerator / denominator. Rule: P the national '
            "portal's, V the provincial vendor's (docs/indicators.md). Rank: among the provinces with a value, from "
            "records.</span></p>")
    return section(*title, figure(svg, "Tỉnh, sở ngành và cấp xã; số liệu từ marts.indicators.",
                                  "Province, agencies and communes; figures from marts.indicators.")
                   + tbl + far + note)


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
        if r.get("finding_en") and r["matches"] is not True:
            finding += f'<br><span class="en small" lang="en">{e(r["finding_en"])}</span>'
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
.definition .def-text { font-style: italic; }
ul.definitions { color: var(--muted); font-size: 0.9rem; margin: 4px 0 0; padding-left: 20px; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--accent); }
code { font-size: 0.88em; }
table.reconciliation td:nth-child(3) { min-width: 11em; }
table.task-gaps td:last-child { font-size: 0.88rem; }
table.task-gaps tr.below-70 td, table.agencies tr.below-average td:nth-child(6) { color: var(--warn); }
table.on-time td:first-child { min-width: 12em; }
h3 { font-size: 1.05rem; margin: 20px 0 8px; }
.meta a { color: var(--accent); }
footer { color: var(--muted); font-size: 0.85rem; padding-bottom: 32px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; padding: 0; }
               nav { display: none; } }
"""

OUTCOME_VI = {"rejected": ("Bị từ chối", "refused whole"), "duplicate_file": ("Trùng lặp", "duplicate, not loaded"),
              "loaded": ("Đã nạp", "loaded")}


def reason_cell(reason: str) -> str:
    vi = REASON_VI.get(reason)
    return (f"{e(vi)}<br>" if vi else "") + f"<code>{e(reason)}</code>"


def quality_section(d: ReportData) -> str:
    """Data quality (the snapshot's data_quality tables): records quarantined by reason and severity, the worst
    files, the trend over the loads. Counts only; the caller leaves the section out without the tables."""
    title = ("chat-luong", "Chất lượng dữ liệu", "Data quality")
    q = d.quality or {}
    loads = [r for r in q.get("loads", []) if r["records_read"] or r["files"]]
    read = sum(r["records_read"] for r in q.get("formats", []))
    quarantined = sum(r["records_quarantined"] for r in q.get("formats", []))
    warned = sum(r["records_warned"] for r in q.get("formats", []))
    refused = [f for f in q.get("refused_files", []) if f["outcome"] == "rejected"]
    duplicates = [f for f in q.get("refused_files", []) if f["outcome"] == "duplicate_file"]
    share = 100.0 * quarantined / read if read else None
    # a share below 0,01% keeps its first significant digits (21 of 1.703.773: 0,0012%, not 0,00%)
    share_text = (fmt_num(share, 4) + "%") if share is not None and 0 < share < 0.01 else fmt_pct(share)
    summary = (f'<p class="summary"><strong class="warn">{fmt_int(quarantined)}</strong> bản ghi bị cách ly trên '
               f"{fmt_int(read)} bản ghi đọc được ({share_text}); {fmt_int(warned)} bản ghi nạp kèm cảnh báo; "
               f"<strong>{len(refused)}</strong> tệp bị từ chối, {len(duplicates)} tệp trùng lặp không nạp lại. "
               f'<span class="en" lang="en">{quarantined} records quarantined of {read} read; {warned} loaded with a '
               f"warning; {len(refused)} files refused, {len(duplicates)} duplicate files not loaded again.</span></p>")
    # by reason and severity
    issues = q.get("issues", [])
    rows = [([reason_cell(r["reason"]), f'{e(SEVERITY.get(r["severity"], (r["severity"],))[0])}<br>'
              f'<span class="en" lang="en">{e(r["severity"])}</span>', e(r["entity"]),
              f'<strong>{fmt_int(r["records_quarantined"])}</strong>', fmt_int(r["records_resolved"]),
              fmt_int(r["records_flagged"]), fmt_int(r["files_affected"])],
             "critical" if r["severity"] == "critical" else "") for r in issues]
    by_reason = (table([("Lý do", "Reason", False), ("Mức độ", "Severity", False), ("Đối tượng", "Entity", False),
                        ("Bị cách ly", "Quarantined", True), ("Đã được sửa", "Arrived corrected", True),
                        ("Bản ghi vi phạm", "Records flagged", True), ("Số tệp", "Files", True)], rows, "issues")
                 if rows else _no_data("Không có lỗi dữ liệu.", "No data issue found."))
    critical = [r for r in issues if r["records_quarantined"]]
    chart = ""
    if critical:
        # whole-number ticks: the axis (4 intervals) ends on a multiple of 4 at or above a round maximum
        top = 4 * math.ceil(value_axis(max(r["records_quarantined"] for r in critical), integer=True)[0] / 4)
        bars = [BarRow(REASON_VI.get(r["reason"], r["reason"]), float(r["records_quarantined"]),
                       fmt_int(r["records_quarantined"]), color=ORANGE) for r in critical]
        chart = figure(hbar_chart(bars, title="Bản ghi bị cách ly theo lý do / Quarantined records by reason",
                                  x_max=float(top), axis_suffix="", label_width=300, row_height=24),
                       "Lý do chính của mỗi bản ghi (lý do đầu tiên theo thứ tự ưu tiên).",
                       "The primary reason of each record (the first in priority order).")
    # the worst files
    worst = [([f'<code>{e(f["file_path"])}</code>', e(f["source_format"]), fmt_int(f["records_read"]),
               f'<strong>{fmt_int(f["records_quarantined"])}</strong>', fmt_pct(f["quarantined_pct"]),
               e(f["reasons"])], "") for f in q.get("quarantined_files", [])]
    worst_tbl = (table([("Tệp", "File", False), ("Loại nguồn", "Source format", False), ("Đọc được", "Read", True),
                        ("Bị cách ly", "Quarantined", True), ("Tỷ lệ", "Share", True),
                        ("Lý do (số bản ghi)", "Reasons (records)", False)], worst, "worst-files")
                 if worst else _no_data("Không tệp nào có bản ghi bị cách ly.", "No file has a quarantined record."))
    refused_rows = [([f'<code>{e(f["file_path"])}</code>', e(f["source_format"]),
                      f'{e(OUTCOME_VI.get(f["outcome"], (f["outcome"],))[0])}<br><span class="en" lang="en">'
                      f'{e(f["outcome"])}</span>', e(f["reason"])],
                     "rejected" if f["outcome"] == "rejected" else "") for f in q.get("refused_files", [])]
    refused_tbl = ""
    if refused_rows:
        refused_tbl = (f'<details{" open" if len(refused_rows) <= 10 else ""}><summary>'
                       + bilingual(f"{len(refused_rows)} tệp không được nạp", f"{len(refused_rows)} files not loaded")
                       + "</summary>" + table([("Tệp", "File", False), ("Loại nguồn", "Source format", False),
                                               ("Kết quả", "Outcome", False), ("Lý do", "Reason", False)],
                                              refused_rows, "refused-files") + "</details>")
    # the trend over the loads
    trend_rows = [([str(r["load_seq"]), fmt_date(r["started_at"]), e(r["partition_range"]), e(r["status"]),
                    f'{fmt_int(r["files_loaded"])} / {fmt_int(r["files_rejected"])} / {fmt_int(r["files_duplicate"])}',
                    fmt_int(r["records_read"]), fmt_int(r["records_loaded"]),
                    f'<strong>{fmt_int(r["records_quarantined"])}</strong>', fmt_pct(r["quarantined_pct"]),
                    fmt_pct(r["cumulative_quarantined_pct"])], "" if r["status"] == "succeeded" else "failed")
                  for r in loads]
    trend_chart = ""
    if len(loads) >= 2:
        trend_chart = figure(column_chart(
            [str(r["load_seq"]) for r in loads],
            [Series("Bị cách ly / quarantined", [float(r["records_quarantined"]) for r in loads], color=ORANGE,
                    labels=[fmt_int(r["records_quarantined"]) for r in loads])],
            title="Bản ghi bị cách ly theo lần nạp / Quarantined records per load", integer=True,
            label_every=max(1, len(loads) // 20)), "Theo lần nạp, cũ nhất trước.", "Per load, oldest first.")
    trend_tbl = (table([("Lần nạp", "Load", True), ("Bắt đầu", "Started", False), ("Khoảng ngày", "Days", False),
                        ("Trạng thái", "Status", False), ("Tệp nạp / từ chối / trùng", "Files loaded / refused / dup.",
                                                          True),
                        ("Đọc được", "Read", True), ("Đã nạp", "Loaded", True), ("Bị cách ly", "Quarantined", True),
                        ("Tỷ lệ cách ly", "Quarantined %", True), ("Lũy kế", "Cumulative %", True)], trend_rows,
                       "loads") if trend_rows else _no_data("Chưa có lần nạp.", "No load yet."))
    note = ('<p class="small muted">Số đếm từ các bảng <code>data_quality</code> của tệp số liệu (nguồn: nhật ký nạp '
            "của kho dữ liệu); không có giá trị của bản ghi, mã hồ sơ hay dữ liệu cá nhân. Chi tiết từng kiểm tra: "
            f'<a href="{VALIDATION_PAGE}">bản tóm tắt kiểm tra</a>. <span class="en" lang="en">Counts from the '
            "snapshot's data_quality tables (from the warehouse's load records); no record value, dossier code or "
            "personal value. Every check in detail: the validation summary.</span></p>")
    body = (summary + f'<h3 id="cl-ly-do">{bilingual("Theo lý do và mức độ", "By reason and severity")}</h3>'
            + chart + by_reason
            + f'<h3 id="cl-tep">{bilingual("Các tệp có nhiều bản ghi bị cách ly nhất", "Worst files")}</h3>'
            + worst_tbl + refused_tbl
            + f'<h3 id="cl-lan-nap">{bilingual("Theo lần nạp", "Trend over the loads")}</h3>' + trend_chart
            + trend_tbl + note)
    return section(*title, body)


SECTIONS = (("tong-hop", "Tổng hợp", "Headline", headline_section),
            ("xa", "Các xã", "Communes", communes_section),
            ("so-nganh", "Sở, ngành", "Agencies", agencies_section),
            ("xu-huong", "Theo ngày", "Trend", trend_section),
            ("dung-han", "Đúng hạn", "On time", on_time_section),
            ("chi-so", "Chỉ số 766", "766 indicators", scorecard_section),
            ("nhiem-vu", "Nhiệm vụ xã", "Tasks", tasks_section),
            ("xep-hang", "Xếp hạng tỉnh", "Ranking", ranking_section),
            ("doi-chieu", "Đối chiếu", "Reconciliation", reconciliation_section),
            ("chat-luong", "Chất lượng dữ liệu", "Data quality", quality_section))


def shown_sections(d: ReportData) -> list[tuple]:
    """The sections of this snapshot: on-time/overdue and the 766 indicators only when the snapshot has their marts,
    data quality only when it has the data_quality tables."""
    return [s for s in SECTIONS if (s[0] != "dung-han" or d.on_time is not None)
            and (s[0] != "chi-so" or d.scorecard is not None)
            and (s[0] != "chat-luong" or d.quality is not None)]


def generated_line(d: ReportData) -> str:
    if d.generated_at is None:
        return ""
    at = d.generated_at.strftime("%d/%m/%Y %H:%M")
    if d.generated_from == "snapshot_info":
        return (f'<p class="meta generated">{bilingual("Số liệu tạo lúc", "Snapshot built at")}: '
                f"<strong>{at}</strong> (giờ Việt Nam / Asia/Ho_Chi_Minh)</p>")
    return (f'<p class="meta generated">{bilingual("Số liệu tính đến lần nạp", "Data as of the load of")}: '
            f"<strong>{at}</strong> (giờ Việt Nam / Asia/Ho_Chi_Minh)</p>")


def quality_links() -> str:
    return (f'<p class="meta links">{bilingual("Kiểm tra chất lượng dữ liệu", "Data validation")}: '
            f'<a href="{VALIDATION_PAGE}">{bilingual("bản tóm tắt kiểm tra", "validation summary")}</a> · '
            f'<a href="{DATA_DOCS_PAGE}">Great Expectations data docs</a> '
            '<span class="muted small">(cùng thư mục / same folder)</span></p>')


def render_html(d: ReportData) -> str:
    name = d.home_name or "—"
    window = ""
    if d.levels:
        window = (f'{fmt_date(d.levels[0]["window_start_local"])} – {fmt_date(d.levels[0]["window_end_local"])} '
                  "(Asia/Ho_Chi_Minh)")
    shown = shown_sections(d)
    nav = "".join(f'<li><a href="#{sid}">{e(vi)} <span class="en" lang="en">/ {e(en)}</span></a></li>'
                  for sid, vi, en, _ in shown)
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
        generated_line(d),
        quality_links(),
        f'<nav aria-label="Mục lục / Contents"><ol>{nav}</ol></nav>',
        "</header>",
        "<main>",
        *(render(d) for _, _, _, render in shown),
        "</main>",
        "<footer>",
        "<p>" + bilingual("Báo cáo tĩnh, không cần mạng, không chứa dữ liệu cá nhân; tạo từ tệp số liệu phân tích",
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
