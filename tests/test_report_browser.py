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


def test_report_renders_in_chromium_without_errors(browser, tmp_path):
    snapshot = w.build_snapshot(tmp_path / "world")
    page = render_report(snapshot, tmp_path / "report.html")
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
    assert [s["id"] for s in sections] == ["tong-hop", "xa", "xu-huong", "nhiem-vu", "xep-hang", "doi-chieu"]
    for s in sections:
        assert s["charts"] == 1, s
        (width, height), = s["boxes"]
        assert width > 500 and height > 100, s  # laid out at a readable size, not collapsed
        assert s["marks"][0] > 0, s
    marks = {s["id"]: s["marks"][0] for s in sections}
    assert marks["xa"] == sum(1 for u in w.COMMUNES if u.received)           # one bar per commune with dossiers
    assert marks["xep-hang"] == len(w.PROVINCES)                               # one bar per province
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
