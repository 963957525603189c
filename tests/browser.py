"""A headless Chromium driven over the DevTools protocol on a pipe, with the standard library only.

Debian's Chromium is started with --remote-debugging-pipe: commands go on fd 3, replies and events come on fd 4,
JSON messages ended by NUL; so the tests need no Python package and no driver binary beyond
`apt-get install chromium`. Used by test_report_browser.py (the static report) and test_dagster_ui.py (the Dagster
UI).
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

CHROMIUM = os.environ.get("HOSO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe"]
WIDTH = 1280
SKIP_REASON = ("Chromium is not installed (apt-get install -y chromium); CI installs it, so there this test runs")


class Chromium:
    """A headless Chromium and one page, over the DevTools protocol on a pipe."""

    def __init__(self, profile_dir: Path, log_path: Path, timeout_s: float = 60.0, width: int = WIDTH,
                 height: int = 900):
        self.timeout_s = timeout_s
        self.width, self.height = width, height
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
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})

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

    def problems(self, origins: tuple[str, ...] = ("file:", "data:", "about:")) -> list[str]:
        """Console errors, uncaught exceptions, browser log errors, failed loads, requests to URLs that start with
        none of `origins` (by default: anything outside file://)."""
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
                if not url.startswith(origins):
                    out.append("network request: " + url)
        return out

    def screenshot(self, path: Path, full_page: bool = True) -> tuple[int, int]:
        """A PNG of the whole page (full_page) or of the viewport."""
        if not full_page:
            data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
            path.write_bytes(base64.b64decode(data))
            return self.width, self.height
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        height = int(size["height"]) + 1
        data = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1}})["data"]
        path.write_bytes(base64.b64decode(data))
        return self.width, height

    def wait_for(self, expression: str, timeout_s: float = 60.0, interval_s: float = 0.25):
        """Evaluate `expression` in the page until it is truthy; returns its value (TimeoutError after timeout_s)."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page never satisfied: {expression}")
            time.sleep(interval_s)

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


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])
