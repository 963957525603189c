"""The HTML report in a real headless browser: Debian's Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, replies and events on fd 4, JSON messages ended by NUL), so the test
needs no Python package and no driver binary beyond `apt-get install chromium`.

The page is loaded from file:// with a new empty profile; the test fails on any console error, uncaught exception,
browser log error, failed load or request that leaves file://; it checks in the DOM that every section lays out
one chart with its marks, and saves a full-page PNG (into $HOSO_REPORT_SCREENSHOT_DIR too when that is set).
Skipped, with the reason, only when no Chromium is installed (CI installs it).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import snapshot_world as w
from browser import CHROMIUM, SKIP_REASON, WIDTH, Chromium, png_size
from reports.html import render_report
from reports.validation_summary import render_validation_summary
from test_validation_summary import ROWS, frame

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON),
]


@pytest.fixture
def browser(tmp_path):
    b = Chromium(tmp_path / "profile", tmp_path / "chromium.log")
    try:
        b.open_page()
        yield b
    finally:
        b.close()


def network_off(browser: Chromium) -> None:
    """No network for the page: every request fails (the file:// page itself still loads)."""
    browser.send("Network.emulateNetworkConditions",
                 {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_report_renders_in_chromium_without_errors(browser, tmp_path):
    snapshot = w.build_snapshot(tmp_path / "world")
    page = render_report(snapshot, tmp_path / "report.html")
    network_off(browser)
    browser.load(page.resolve().as_uri())

    assert browser.problems() == []
    assert browser.evaluate("document.compatMode") == "CSS1Compat"  # standards mode: the doctype is right
    assert browser.evaluate("document.characterSet") == "UTF-8"
    assert browser.evaluate("document.scripts.length") == 0
    assert "Tỷ lệ nộp hồ sơ trực tuyến" in browser.evaluate("document.querySelector('h1').textContent")
    sections = browser.evaluate("""[...document.querySelectorAll('main > section')].map(s => {
        const charts = [...s.querySelectorAll('svg.chart')];
        return {id: s.id, charts: charts.length,
                boxes: charts.map(c => { const r = c.getBoundingClientRect(); return [r.width, r.height]; }),
                marks: charts.map(c => c.querySelectorAll('rect.bar, polyline.line, circle').length)};
    })""")
    assert [s["id"] for s in sections] == ["tong-hop", "xa", "so-nganh", "xu-huong", "dung-han", "chi-so",
                                          "nhiem-vu", "xep-hang", "doi-chieu", "chat-luong"]
    for s in sections:
        assert s["charts"] == (2 if s["id"] in ("xu-huong", "chat-luong") else 1), s
        for width, height in s["boxes"]:
            assert width > 500 and height > 100, s  # laid out at a readable size, not collapsed
        assert all(m > 0 for m in s["marks"]), s
    marks = {s["id"]: s["marks"][0] for s in sections}
    assert marks["xa"] == sum(1 for u in w.COMMUNES if u.received)           # one bar per commune with dossiers
    assert marks["xep-hang"] == len(w.PROVINCES)                               # one bar per province
    assert marks["so-nganh"] == len(w.AGENCIES)                                # one bar per agency
    assert browser.evaluate("document.querySelectorAll('#xu-huong rect.empty-day').length") > 0
    assert browser.evaluate("document.querySelectorAll('#dung-han tbody tr').length") == 3
    assert browser.evaluate("document.querySelectorAll('#chi-so table.scorecard tbody tr').length") == 13
    assert browser.evaluate("document.querySelectorAll('#nhiem-vu table.task-gaps tbody tr').length") == 4
    # data quality: 3 reasons with quarantined records (bars), 5 reasons in the table, 2 files with quarantined
    # records, 2 loads that saw files
    assert marks["chat-luong"] == 3
    assert browser.evaluate("document.querySelectorAll('#chat-luong table.issues tbody tr').length") == 5
    assert browser.evaluate("document.querySelectorAll('#chat-luong table.worst-files tbody tr').length") == 2
    assert browser.evaluate("document.querySelectorAll('#chat-luong table.loads tbody tr').length") == 2
    # Value labels do not cross a target line: no label box contains the line's x.
    crossed = browser.evaluate("""[...document.querySelectorAll('svg.hbar')].flatMap(svg => {
        const line = svg.querySelector('line.target-line'); if (!line) return [];
        const x = line.getBoundingClientRect().x;
        return [...svg.querySelectorAll('text.bar-value')].filter(t => {
            const r = t.getBoundingClientRect(); return r.left < x && x < r.right; }).map(t => t.textContent);
    })""")
    assert crossed == []
    # Highlights: the communes below target and the home province are drawn in the highlight colour.
    below = browser.evaluate("[...document.querySelectorAll('#xa rect.below-target')].map(r => "
                             "getComputedStyle(r).fill)")
    assert len(below) == 2 and len(set(below)) == 1
    assert browser.evaluate("document.querySelectorAll('#doi-chieu tr.mismatch').length") == 5
    # No horizontal overflow at 1280 px: neither the page nor a table has to be scrolled sideways.
    assert browser.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert browser.evaluate("[...document.querySelectorAll('.table-wrap')]"
                            ".filter(t => t.scrollWidth > t.clientWidth + 1).length") == 0

    shot = tmp_path / "report.png"
    size = browser.screenshot(shot)
    assert png_size(shot) == size and size[1] > 2000
    assert shot.stat().st_size > 50_000
    if os.environ.get("HOSO_REPORT_SCREENSHOT_DIR"):
        out = Path(os.environ["HOSO_REPORT_SCREENSHOT_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / "report.png")
        shutil.copy(page, out / "report.html")


def test_validation_summary_offline_in_chromium(browser, tmp_path):
    """The validation summary from disk with the network off: its lists and tables are filled (suites, expectation
    ids, counts), nothing is requested, and the page holds no http(s) reference at all."""
    page = render_validation_summary(frame(), tmp_path / "docs" / "validation.html", run="run-1")
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    network_off(browser)
    browser.load(page.resolve().as_uri())
    assert browser.problems() == []
    assert browser.evaluate("document.scripts.length + document.styleSheets.length") == 1  # the inline style only
    assert browser.evaluate("performance.getEntriesByType('resource').length") == 0
    suites = browser.evaluate("[...document.querySelectorAll('table.suites tbody tr td:first-child')]"
                              ".map(td => td.textContent)")
    assert suites == ["commune_tasks", "dossiers"]
    ids = browser.evaluate("[...document.querySelectorAll('code.exp-id')].map(c => c.textContent)")
    assert sorted(ids) == sorted({r[2] for r in ROWS})
    batches = browser.evaluate("[...document.querySelectorAll('table.batches tbody tr')].map(tr => "
                               "[...tr.cells].map(c => c.innerText))")
    assert len(batches) == 3 and batches[0][:5] == ["a/dossiers_1.json", "dossiers", "100", "4", "1"]
    counts = browser.evaluate("[...document.querySelectorAll('table.suites tbody tr')].map(tr => "
                              "[...tr.cells].slice(1, 7).map(c => c.innerText))")
    assert counts == [["1", "32", "1", "0", "0", "0"], ["2", "150", "4", "1", "2", "4"]]
    # Laid out: the tables have width and rows with height (the CSS is there, nothing hidden).
    assert browser.evaluate("document.querySelector('table.expectations').getBoundingClientRect().height") > 100
    assert browser.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot = tmp_path / "validation.png"
    browser.screenshot(shot)
    if os.environ.get("HOSO_REPORT_SCREENSHOT_DIR"):
        out = Path(os.environ["HOSO_REPORT_SCREENSHOT_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / "validation.png")


def test_the_harness_sees_errors(browser, tmp_path):
    """The checks above are only worth something if a broken page fails them."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>bad</title></head><body>'
                   '<img src="http://127.0.0.1:9/x.png" alt="">'
                   '<script>console.error("boom"); not_defined();</script></body></html>', encoding="utf-8")
    browser.load(bad.as_uri())
    time.sleep(0.5)  # let the failed request report
    browser.evaluate("1")  # drain pending events
    problems = browser.problems()
    assert any(p.startswith("console.error: boom") for p in problems), problems
    assert any(p.startswith("exception:") and "not_defined" in p for p in problems), problems
    assert any(p.startswith("network request: http://127.0.0.1:9/") for p in problems), problems
