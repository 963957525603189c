"""The HTML report in a real headless browser: Debian's Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, replies and events on fd 4, JSON messages ended by NUL), so the test
needs no Python package and no driver binary beyond `apt-get install chromium`.

The page is loaded from file:// with a new empty profile; the test fails on any console error, uncaught exception,
browser log error, failed load or request that leaves file://; it checks in the DOM that every section lays out
one chart with its marks, and saves a full-page PNG (into $HOSO_REPORT_SCREENSHOT_DIR too when that is set).
Skipped, with the reason, only when no Chromium is installed (CI installs it).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

import snapshot_world as w
from reports.html import render_report

CHROMIUM = os.environ.get("HOSO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe"]
WIDTH = 1280

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium); "
                                                "CI installs it, so there this test runs"),
]


class Chromium:
    """A headless Chromium and one page, over the DevTools protocol on a pipe."""

    def __init__(self, profile_dir: Path, log_path: Path, timeout_s: float = 60.0):
        self.timeout_s = timeout_s
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        # The child's ends move to fds >= 10 so that putting them on 3 and 4 can never overwrite one another.
        cmd_r, out_w = (self._high_fd(fd) for fd in (cmd_r, out_w))
        self._log = open(log_path, "wb")
        # bash puts the two pipe ends on fds 3 and 4, where Chromium expects them, then becomes Chromium (dash cannot
        # redirect fds above 9).
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{cmd_r} 4>&{out_w} {cmd_r}<&- {out_w}>&-', "bash",
             CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            pass_fds=(cmd_r, out_w), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._inbox: list[dict] = []
        self._id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    @staticmethod
    def _high_fd(fd: int) -> int:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    # -- protocol
    def _read_messages(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("Chromium did not answer in time")
        ready, _, _ = select.select([self._out_r], [], [], remaining)
        if not ready:
            raise TimeoutError("Chromium did not answer in time")
        chunk = os.read(self._out_r, 1 << 20)
        if not chunk:
            raise RuntimeError(f"Chromium closed the DevTools pipe (exit code {self.proc.poll()})")
        self._buf += chunk
        *messages, self._buf = self._buf.split(b"\0")
        for m in messages:
            self._inbox.append(json.loads(m))

    def send(self, method: str, params: dict | None = None, *, session: bool = True) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        reply = self._wait(lambda m: m.get("id") == self._id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _wait(self, match) -> dict:
        deadline = time.monotonic() + self.timeout_s
        while True:
            while self._inbox:
                m = self._inbox.pop(0)
                if "id" not in m:
                    self.events.append(m)
                if match(m):
                    return m
            self._read_messages(deadline)

    def wait_event(self, method: str) -> dict:
        for m in self.events:
            if m.get("method") == method:
                return m
        return self._wait(lambda m: m.get("method") == method)

    # -- page
    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def load(self, url: str) -> None:
        self.events.clear()
        nav = self.send("Page.navigate", {"url": url})
        assert "errorText" not in nav, nav
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, browser log errors, failed loads, requests outside file://."""
        out = []
        for m in self.events:
            method, p = m.get("method"), m.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description")))
                                                                  for a in p.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
            elif method == "Network.loadingFailed":
                out.append("load failed: " + p.get("errorText", ""))
            elif method == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    out.append("network request: " + url)
        return out

    def screenshot(self, path: Path) -> tuple[int, int]:
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        height = int(size["height"]) + 1
        data = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}})["data"]
        path.write_bytes(base64.b64decode(data))
        return WIDTH, height

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", session=False)
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=15)
        finally:
            os.close(self._cmd_w)
            os.close(self._out_r)
            self._log.close()


@pytest.fixture
def browser(tmp_path):
    b = Chromium(tmp_path / "profile", tmp_path / "chromium.log")
    try:
        b.open_page()
        yield b
    finally:
        b.close()


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


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
