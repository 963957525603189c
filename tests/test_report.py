"""The static HTML report (reports.html.render_report) of a small published snapshot (tests/snapshot_world.py):
written, self-contained and well-formed, carrying the snapshot's figures, one chart per section, highlights where
the data calls for them. The real-browser check is in test_report_browser.py."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import duckdb
import pytest

import snapshot_world as w
from reports.charts import BarRow, Series, column_chart, hbar_chart, line_chart, value_axis
from reports.html import fmt_int, fmt_pct, load, render_html, render_report
from warehouse.dbt_runner import MartParams

SECTION_IDS = ["tong-hop", "xa", "so-nganh", "xu-huong", "dung-han", "chi-so", "nhiem-vu", "xep-hang", "doi-chieu",
               "chat-luong"]
# the daily ratio and the dossiers per day; quarantined records by reason and per load; one chart in every other
CHARTS = {"xu-huong": 2, "chat-luong": 2}
LINKS = {"validation.html", "data_docs/index.html"}  # written next to report.html by the pipeline


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """The test world's published snapshot (every mart of the dbt project)."""
    return w.build_snapshot(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(snapshot, tmp_path_factory) -> str:
    out = render_report(snapshot, tmp_path_factory.mktemp("out") / "report.html")
    return out.read_text(encoding="utf-8")


def sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([a-z-]+)"[^>]*>(.*?)</section>', page, flags=re.S))


class Checker(HTMLParser):
    """Tag balance and the few HTML5 rules the report must keep (no script, nothing fetched, unique ids)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for name, value in attrs.items():
            if name.startswith("on"):
                self.errors.append(f"event handler {name} on <{tag}>")
            if name in ("src", "srcset", "xlink:href", "action", "formaction"):
                self.errors.append(f"{name}= on <{tag}>: nothing may be fetched")
            if name == "href" and not (value or "").startswith("#") and value not in LINKS:
                self.errors.append(f"href={value!r}: only in-page links and the pages beside the report")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        dict_attrs = dict(attrs)
        if "id" in dict_attrs:
            self.ids.append(dict_attrs["id"])
        if tag not in self.VOID and tag not in ("line", "rect", "circle", "polyline", "path"):
            self.errors.append(f"<{tag}/> self-closed")

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def test_report_file_is_written_and_returned(snapshot, tmp_path):
    out = tmp_path / "nested" / "report.html"
    assert render_report(snapshot, out) == out
    assert out.stat().st_size > 10_000
    assert not list(out.parent.glob(".*.tmp")), "the temporary file is renamed over the report"


def test_page_is_well_formed_self_contained_html5(page):
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"vi\">")
    assert '<meta charset="utf-8">' in page.split("</head>")[0]
    assert re.search(r"<title>[^<]+</title>", page)
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == [], "every element is closed"
    assert len(checker.ids) == len(set(checker.ids)), "ids are unique"
    assert checker.tags.count("h1") == 1
    assert "script" not in checker.tags and "iframe" not in checker.tags and "link" not in checker.tags
    # Nothing to fetch: the only URL is the SVG namespace.
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "url(" not in page and "@import" not in page


def test_one_chart_per_section_in_order(page):
    found = sections(page)
    assert list(found) == SECTION_IDS
    for sid, body in found.items():
        assert body.count("<svg") == CHARTS.get(sid, 1), sid
        assert re.search(r'<svg [^>]*role="img"[^>]*aria-label="[^"]+"', body), sid
    nav = re.findall(r'<a href="#([a-z-]+)">', page)
    assert nav == SECTION_IDS


def test_headline_figures_and_definition(page):
    s = sections(page)["tong-hop"]
    rows = re.findall(r"<tr>(.*?)</tr>", s.split("<tbody>")[1], flags=re.S)
    cells = [re.findall(r'<td class="num">(.*?)</td>', r) for r in rows]
    assert cells == [["77", "57", "<strong>74,03%</strong>", "39"],
                     ["38", "29", "<strong>76,32%</strong>", "19"],
                     ["39", "28", "<strong>71,79%</strong>", "20"]]
    assert "57 / 77" in s
    # The definition in Vietnamese, the English beside it.
    assert 'A: trực tuyến / tổng số tiếp nhận <span class="en" lang="en">/ online / all received</span>' in s
    # One label per level, the marts' own, in the table and the chart.
    for label in ("Toàn tỉnh (sở, ngành và cấp xã)", "Cấp tỉnh (sở, ngành)", "Cấp xã"):
        assert f"{label}<br>" in s and f'class="category">{label}</text>' in s, label
    # The four definitions, side by side in the chart (province-wide: A 74.03, B 78.08, C 76.00, D 69.22).
    for v in ("74,03", "78,08", "76,00", "69,22", "62,59"):
        assert f">{v}</text>" in s, v


def test_numbers_are_written_as_vietnamese_readers_expect():
    assert fmt_int(224930) == "224.930" and fmt_int(1128038) == "1.128.038" and fmt_int(57) == "57"
    assert fmt_pct(72.35) == "72,35%" and fmt_pct(100) == "100,00%" and fmt_pct(None) == "—"


def test_generated_at_from_the_snapshot(snapshot, tmp_path, page):
    assert "Số liệu tạo lúc" in page  # data_quality.snapshot_info.built_at: the build of the test world
    copy = tmp_path / "built.duckdb"
    shutil.copy(snapshot, copy)
    con = duckdb.connect(str(copy))
    # built_at is local time (Asia/Ho_Chi_Minh)
    con.execute("CREATE OR REPLACE TABLE data_quality.snapshot_info AS SELECT TIMESTAMP '2025-08-06 16:30:00' "
                "AS built_at")
    con.close()
    html = render_report(copy, tmp_path / "built.html").read_text(encoding="utf-8")
    assert "Số liệu tạo lúc" in html and "<strong>06/08/2025 16:30</strong> (giờ Việt Nam" in html
    assert render_report(copy, tmp_path / "again.html").read_bytes() == html.encode()
    # Without snapshot_info: the latest load behind the records (its id starts with its UTC start time).
    data = load(snapshot)
    data.generated_at, data.generated_from = datetime(2025, 8, 6, 17, 5), "load"
    assert "Data as of the load of" in render_html(data) and "06/08/2025 17:05" in render_html(data)


def test_links_to_the_validation_summary_and_data_docs(page):
    header = page.split("</header>")[0]
    assert '<a href="validation.html">' in header and '<a href="data_docs/index.html">' in header


def test_communes_against_the_target(page):
    s = sections(page)["xa"]
    for u in w.COMMUNES:
        assert u.name in s
    assert "3/6</strong> xã, phường đạt chỉ tiêu 70%" in s
    assert s.count('class="bar below-target"') == 2      # Nhân Hòa, Con Cuông
    assert s.count('class="bar meets-target"') == 3
    assert "▼ 40,00% (2/5)" in s and "90,00% (9/10)" in s
    assert "chưa có hồ sơ / no dossiers" in s            # Môn Sơn: no bar, said so
    assert s.count('class="target-line"') == 1 and "target 70%" in s
    # Bars in ratio order, highest first.
    labels = re.findall(r'class="bar-label">([^<]+)<', s)
    assert labels == ["1. Phường Vinh Phú", "2. Xã Anh Sơn", "3. Xã Yên Xuân", "4. Xã Nhân Hòa", "5. Xã Con Cuông",
                      "6. Xã Môn Sơn"]
    # The gap table: dossiers short of the target (query 05).
    gap = s.split("<details>")[1]
    assert re.search(r"Xã Con Cuông</td>.*?<td class=\"num\">2</td><td class=\"num\">5</td>", gap, flags=re.S)


def test_daily_trend(page):
    s = sections(page)["xu-huong"]
    assert "<strong>74,03%</strong> (57/77)" in s
    lines = re.findall(r'<polyline class="line" points="([^"]+)"', s)
    assert lines, "the daily and cumulative lines are drawn"
    days = {d.received_at.date() for d in w.counted_dossiers()}
    assert s.count("<circle ") == len(days)               # one dot per day with dossiers
    assert ">01/07</text>" in s
    # Every day of the window is drawn: a day without dossiers is a band marked 0 and a zero in the counts chart.
    window = 37                                           # 01/07 .. 06/08
    empty = window - len(days)
    assert empty > 0
    assert s.count('<rect class="empty-day"') == empty
    assert s.count('class="empty-day-label">0</text>') == empty
    counts = s.split("<svg")[2]
    assert counts.count('<rect class="bar"') == len(days)            # a column per day with dossiers
    assert counts.count('<rect class="bar empty-day"') == empty      # and a zero one per day without
    assert counts.count(">0</text>") == empty + 1         # the zeros, and the axis' 0
    assert f"{empty} ngày không có hồ sơ nào" in s


def test_task_progress_per_snapshot(page):
    s = sections(page)["nhiem-vu"]
    assert "22/07/2025" in s and "06/08/2025" in s
    assert "2 (33,33%)" in s                               # 06/08: two communes did 16/16
    # The categories below 70% done (10/16 and 9/16) are marked, in the chart and in the table.
    red = set(re.findall(r'fill="#dc2626"[^>]*class="category">([^<]+)<', s))
    assert red == {"10/16", "9/16"}
    assert s.count('class="bar below-70"') == 4            # their columns, both snapshots (one of them 0)
    assert "10/16 <span class=\"warn\">(&lt; 70%)</span>" in s


def test_province_ranking(page):
    s = sections(page)["xep-hang"]
    assert s.count('<rect class="bar') == len(w.PROVINCES)
    assert s.count('<rect class="bar home"') == 1
    assert "<strong>20</strong>/34 ▲5" in s and "<strong>22</strong>/34" in s and "<strong>20</strong>/34 ▲2" in s
    assert "20. Tỉnh Nghệ An" in s and "74,03% ▲5" in s
    assert "bảng QG / national: 72,35%" in s


def test_reconciliation_with_mismatches_highlighted(page):
    s = sections(page)["doi-chieu"]
    assert "16/22</strong> số liệu khớp" in s
    assert s.count('<tr class="mismatch">') == 5
    assert s.count('<tr class="not-recomputable">') == 1
    p4 = re.search(r'<tr class="mismatch">(?:(?!</tr>).)*P4_ratio.*?</tr>', s, flags=re.S).group(0)
    assert "96,55%" in p4 and "71,79%" in p4 and "✗ không khớp" in p4
    assert "số công bố 96,55% là trực tuyến cấp xã / trực tuyến cấp tỉnh (sở, ngành) = 28 / 29" in p4
    assert "the published 96.55% is commune online / province-level online" in p4  # the English beneath
    assert "ratio.commune_online_over_agency_online" in p4
    assert ">96,55%</text>" in s and ">71,79%</text>" in s  # the chart of the ratios


def test_agency_ranking(page):
    s = sections(page)["so-nganh"]
    labels = re.findall(r'class="bar-label">([^<]+)<', s)
    assert labels == ["1. Sở Nội vụ", "2. Sở Xây dựng", "3. Sở Y tế"]
    assert "87,50% (7/8)" in s and "85,00% (17/20)" in s and "50,00% (5/10)" in s
    # The province-level ratio as the reference line; the agency below it in orange, in the chart and the table.
    assert s.count('class="target-line"') == 1 and "Cấp tỉnh (sở, ngành): 76,32%" in s
    assert s.count('<rect class="bar below-average"') == 1 and s.count('<tr class="below-average">') == 1
    assert "1/3</strong> sở, ngành dưới tỷ lệ chung" in s
    assert re.search(r"Sở Y tế</td><td class=\"num\">10</td><td class=\"num\">5</td>", s)


def test_on_time_and_overdue_by_level(page):
    s = sections(page)["dung-han"]
    rows = re.findall(r"<tr>(.*?)</tr>", s.split("<tbody>")[1], flags=re.S)
    cells = [re.findall(r'<td class="num">(.*?)</td>', r) for r in rows]
    # processed, on time, late, on-time %, open, overdue, overdue %, not assessed (marts.on_time_by_level)
    assert cells[0] == ["39", "39", "0", "<strong>100,00%</strong>", "38", '<strong class="warn">36</strong>',
                        "94,74%", "0"]
    assert cells[1][5] == '<strong class="warn">17</strong>' and cells[2][6] == "100,00%"
    assert "06/08/2025 16:00" in s                        # the as-of time, local


def test_scorecard_of_the_766_indicators(page):
    """The home province's indicators by level and its rank, worked out from the test world's dossiers."""
    s = sections(page)["chi-so"]
    rows = {re.search(r"<strong>([0-9.b]+)</strong>[^<]*(?:<span class=\"muted small\">\((\w+)\))?", r).groups(): r
            for r in re.findall(r"<tr>(.*?)</tr>", s.split("<tbody>")[1].split("</tbody>")[0], flags=re.S)}
    assert len(rows) == 13

    def cells(indicator, definition=None):
        return re.findall(r'<td class="num">(.*?)</td>', rows[(indicator, definition)])

    counted = w.counted_dossiers()
    window_end = datetime(2025, 8, 6, 16, tzinfo=w.VN)
    # 2.1 P: returned dossiers ended 2 days after receipt, due after 5; open ones are on time until their due date
    on_time = sum(1 for d in counted if d.status == 10 or d.received_at + timedelta(days=5) >= window_end)
    assert cells("2.1")[0] == f'{fmt_pct(Decimal(100 * on_time) / len(counted))}<br><span class="muted small">' \
        f"{on_time}/{len(counted)}</span>"
    online = sum(1 for d in counted if d.channel == 2)
    assert cells("3.3")[0] == f'74,03%<br><span class="muted small">{online}/{len(counted)}</span>'
    assert cells("3.3")[3] == "50,00%"  # full score at
    # rank on the online ratio: the other province with records (1 of 1 online) and the snapshot file's provinces
    latest = max(w.SNAPSHOTS)
    published = [v for snap, code, _, v, _ in w.province_snapshot_values() if snap == latest and code not in (w.HOME, "42")]
    assert cells("3.3")[4] == f"{1 + 1 + sum(1 for v in published if v > 74.03)}/34"
    # digitisation: no component file in the test world, below its 80% full score, shown as such
    assert cells("4.2")[0].startswith('<strong class="warn">0,00%</strong>')
    with_fee = [d for d in counted if d.fee > 0]
    paid = sum(1 for d in with_fee if d.paid_online)
    assert cells("3.6")[0].endswith(f"{paid}/{len(with_fee)}</span>")
    assert re.search(r"<td><strong>3.3</strong></td><td class=\"num\">1</td><td>Xã Con Cuông</td>", s)


def test_tasks_not_done_per_commune(page):
    s = sections(page)["nhiem-vu"]
    part = s.split('id="xa-cham"')[1]
    assert "(06/08/2025)" in part and "4/6</strong> xã chưa hoàn thành đủ nhiệm vụ" in part
    rows = re.findall(r"<tr(?: class=\"([a-z0-9-]+)\")?><td>(\d+)</td><td>([^<]+)</td><td class=\"num\">(\d+/16)</td>"
                      r"<td class=\"num\">([^<]+)</td><td>(.*?)</td></tr>", part)
    assert [(r[1], r[3]) for r in rows] == [("17263", "10/16"), ("17254", "12/16"), ("17344", "14/16"),
                                            ("17380", "15/16")]
    assert rows[0][0] == "below-70" and rows[0][4] == "62,50%"
    assert re.findall(r"<code>(NV\d+)</code>", rows[3][5]) == ["NV16"]
    assert len(re.findall(r"<code>NV\d+</code>", rows[0][5])) == 6


def test_sections_of_missing_marts_are_left_out(snapshot, tmp_path):
    """A snapshot of an older version, without marts.on_time_by_level and marts.commune_task_status."""
    snap = tmp_path / "older.duckdb"
    shutil.copy(snapshot, snap)
    con = duckdb.connect(str(snap))
    try:
        con.execute("DROP VIEW bao_cao.dung_han_theo_cap")
        con.execute("DROP VIEW bao_cao.nhiem_vu_tung_xa")
        con.execute("DROP TABLE marts.on_time_by_level")
        con.execute("DROP TABLE marts.commune_task_status")
    finally:
        con.close()
    html = render_report(snap, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert list(sections(html)) == [sid for sid in SECTION_IDS if sid != "dung-han"]  # data quality: test_data_quality
    assert 'href="#dung-han"' not in html and 'id="xa-cham"' not in html


def test_reads_only_the_snapshot_and_is_deterministic(snapshot, tmp_path):
    alone = tmp_path / "alone" / "snap.duckdb"
    alone.parent.mkdir()
    shutil.copy(snapshot, alone)
    reader = duckdb.connect(str(alone), read_only=True)  # an analyst has it open: the report still reads it
    try:
        a = render_report(alone, tmp_path / "a.html").read_bytes()
        b = render_report(alone, tmp_path / "b.html").read_bytes()
    finally:
        reader.close()
    assert a == b
    assert b"snap.duckdb" in a and str(tmp_path).encode() not in a, "names the file, not the machine's path"


def test_other_definition_and_target_are_named(tmp_path):
    snap = w.build_snapshot(tmp_path / "c", MartParams(ratio_definition="C", commune_target_pct=75.0))
    html = render_report(snap, tmp_path / "c.html").read_text(encoding="utf-8")
    assert "C: trực tuyến / (trực tuyến + trực tiếp), không tính bưu chính công ích" in html
    assert "online / (online + in person), postal left out" in html
    assert "Công thức (C)" in html and "57 / 75" in html and "76,00%" in html
    assert "target 75%" in html and "đạt chỉ tiêu 75%" in html


def test_text_from_the_data_is_escaped(snapshot):
    data = load(snapshot)
    data.communes[0]["unit_name"] = '<script>alert("x")</script> & Co'
    html = render_html(data)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; Co" in html


def test_clear_errors_for_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no analytics snapshot"):
        render_report(tmp_path / "nope.duckdb", tmp_path / "r.html")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(ValueError, match="lacks marts.online_ratio_by_level"):
        render_report(other, tmp_path / "r.html")


# ------------------------------------------------------------------ the chart module


def test_value_axis_has_round_steps():
    assert value_axis(2, integer=True) == (2, [0, 1, 2])
    assert value_axis(69, integer=True) == (80, [0, 20, 40, 60, 80])
    assert value_axis(96.55) == (100, [0, 20, 40, 60, 80, 100])


def test_hbar_chart_places_bars_and_target():
    svg = hbar_chart([BarRow("a", 50.0, "50%"), BarRow("b", 100.0, "100%"), BarRow("c", None, "none")],
                     title="t", target=70.0, target_label="70%", width=500, label_width=100, value_width=100)
    widths = [float(x) for x in re.findall(r'<rect class="bar" x="100" y="[^"]+" width="([^"]+)"', svg)]
    assert widths == [150.0, 300.0]                        # plot area 100..400: 50% and 100%
    assert re.search(r'class="target-line" x1="310"', svg)  # 100 + 0.7 * 300
    assert ">none</text>" in svg and svg.count("<rect") == 2


def test_line_chart_breaks_at_missing_values():
    svg = line_chart(["1", "2", "3", "4", "5"], [Series("s", [10.0, 20.0, None, 40.0, 50.0])], title="t")
    assert len(re.findall(r'<polyline class="line"', svg)) == 2


def test_line_chart_draws_empty_positions_as_such():
    svg = line_chart(["1", "2", "3"], [Series("s", [10.0, None, 30.0])], title="t", empty=[1], empty_label="0")
    assert svg.count('<rect class="empty-day"') == 1 and 'class="empty-day-label">0</text>' in svg


def test_value_labels_keep_clear_of_the_target_line():
    # Plot area 100..400; the target at 70% is x = 310. A bar ending at 68% (x = 304) would put its label across the
    # line: the label starts after it instead. A bar far from the line keeps its label at its end.
    svg = hbar_chart([BarRow("a", 68.0, "▼ 68,00% (68/100)"), BarRow("b", 20.0, "20,00%")], title="t",
                     target=70.0, target_label="70%", width=500, label_width=100, value_width=100)
    xs = [float(x) for x in re.findall(r'<text x="([^"]+)" y="[^"]+" font-size="12" fill="#1f2937"[^>]*'
                                       r'class="bar-value"', svg)]
    assert xs == [316.0, 166.0]
    top = re.search(r'class="target-line" x1="310" y1="([^"]+)"', svg)
    assert float(top.group(1)) >= 40, "the line starts below the tick labels"


def test_reference_label_sits_in_the_top_margin():
    svg = column_chart(["a"], [Series("s", [95.0], labels=["95"])], title="t", y_max=100.0, reference=90.0,
                       reference_label="target")
    assert re.search(r'<text x="968" y="16"[^>]*>- - target</text>', svg)
