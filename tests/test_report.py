"""The static HTML report (reports.html.render_report) of a small published snapshot (tests/snapshot_world.py):
written, self-contained and well-formed, carrying the snapshot's figures, one chart per section, highlights where
the data calls for them. The real-browser check is in test_report_browser.py."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import duckdb
import pytest

import snapshot_world as w
from reports.charts import BarRow, Series, hbar_chart, line_chart, value_axis
from reports.html import load, render_html, render_report
from warehouse.dbt_runner import MartParams

SECTION_IDS = ["tong-hop", "xa", "xu-huong", "nhiem-vu", "xep-hang", "doi-chieu"]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
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
            if name == "href" and not (value or "").startswith("#"):
                self.errors.append(f"href={value!r}: only in-page links")
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
        assert body.count("<svg") == 1, sid
        assert re.search(r'<svg [^>]*role="img"[^>]*aria-label="[^"]+"', body), sid
    nav = re.findall(r'<a href="#([a-z-]+)">', page)
    assert nav == SECTION_IDS


def test_headline_figures_and_definition(page):
    s = sections(page)["tong-hop"]
    rows = re.findall(r"<tr>(.*?)</tr>", s.split("<tbody>")[1], flags=re.S)
    cells = [re.findall(r'<td class="num">(.*?)</td>', r) for r in rows]
    assert cells == [["77", "57", "<strong>74.03%</strong>", "39"],
                     ["38", "29", "<strong>76.32%</strong>", "19"],
                     ["39", "28", "<strong>71.79%</strong>", "20"]]
    assert "57 / 77" in s and "A: online / all received" in s
    # The four definitions, side by side in the chart (province-wide: A 74.03, B 78.08, C 76.00, D 69.22).
    for v in ("74.03", "78.08", "76.00", "69.22", "62.59"):
        assert f">{v}</text>" in s, v


def test_communes_against_the_target(page):
    s = sections(page)["xa"]
    for u in w.COMMUNES:
        assert u.name in s
    assert "3/6</strong> xã, phường đạt chỉ tiêu 70%" in s
    assert s.count('class="bar below-target"') == 2      # Nhân Hòa, Con Cuông
    assert s.count('class="bar meets-target"') == 3
    assert "▼ 40.00% (2/5)" in s and "90.00% (9/10)" in s
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
    assert "<strong>74.03%</strong> (57/77)" in s
    lines = re.findall(r'<polyline class="line" points="([^"]+)"', s)
    assert lines, "the daily and cumulative lines are drawn"
    days = {d.received_at.date() for d in w.counted_dossiers()}
    assert s.count("<circle ") == len(days)               # one dot per day with dossiers
    assert ">01/07</text>" in s


def test_task_progress_per_snapshot(page):
    s = sections(page)["nhiem-vu"]
    assert "22/07/2025" in s and "06/08/2025" in s
    assert "2 (33.33%)" in s                               # 06/08: two communes did 16/16
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
    assert "20. Tỉnh Nghệ An" in s and "74.03% ▲5" in s
    assert "bảng QG / national: 72.35%" in s


def test_reconciliation_with_mismatches_highlighted(page):
    s = sections(page)["doi-chieu"]
    assert "16/22</strong> số liệu khớp" in s
    assert s.count('<tr class="mismatch">') == 5
    assert s.count('<tr class="not-recomputable">') == 1
    p4 = re.search(r'<tr class="mismatch">(?:(?!</tr>).)*P4_ratio.*?</tr>', s, flags=re.S).group(0)
    assert "96.55%" in p4 and "71.79%" in p4 and "✗ không khớp" in p4
    assert "commune online / province-level online = 28 / 29" in p4
    assert "ratio.commune_online_over_agency_online" in p4
    assert ">96.55%</text>" in s and ">71.79%</text>" in s  # the chart of the ratios


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
    assert "C: online / (online + in person), postal left out" in html
    assert "Công thức (C)" in html and "57 / 75" in html and "76.00%" in html
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
