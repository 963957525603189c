"""The Dagster UI in a real headless browser, on a small sample world.

`dagster dev` (webserver + daemon, as a data engineer starts it) runs on 127.0.0.1 with a free port, a temporary
DAGSTER_HOME and HOSO_* folders, and HOSO_DEMO=1 (the public demo key pseudonymises the synthetic world). In
Chromium (tests/browser.py: DevTools protocol on a pipe, standard library only) the test opens the asset graph,
expands the groups and sees the assets (one per table: staging, ref, core, meta, marts, analytics), clicks "Materialize all…", types the sample world's days as the
partition range and launches the backfill, then follows it over the GraphQL API the UI itself uses until every run
succeeded, opens a run's page, and screenshots the asset graph after success. The GraphQL API also shows what the UI
shows: groups, owners, kinds, numeric materialization metadata (plotted over time), the data-docs and report links,
the asset checks, the jobs, the sensor and the schedule.

`dagster dev` started from a script inherits an ignored SIGINT and then ignores SIGTERM too: the child restores
SIGINT before exec and gets its own process group, which is TERMed (then KILLed) in a finally.

Console messages: the test fails on any uncaught exception, any console error, any browser log error, any failed
request and any request that leaves the webserver's origin. Not counted: console warnings, and requests the UI
cancels itself (net::ERR_ABORTED, its polling when a page is left).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser import CHROMIUM, SKIP_REASON, Chromium, png_size
from cli.run import landing_days
from samples.generate import generate_world

CHECKOUT = Path(__file__).resolve().parents[1]
TABLES = ["core/dossier_observations", "core/dossiers", "core/dossier_documents", "core/dossier_fees",
          "core/dossier_results", "core/dossier_identities", "core/dossier_supplements",
          "core/dossier_databases", "core/processing_steps", "core/commune_tasks",
          "core/province_tasks", "core/province_snapshot", "core/quarantine", "meta/loads", "meta/files",
          "meta/validations", "ref/units", "ref/procedures", "ref/published_figures"]
# one asset per dbt model (warehouse/models/<schema>/<model>.sql)
MODELS = sorted(f"{p.parent.name}/{p.stem}" for p in (CHECKOUT / "warehouse" / "models").glob("*/*.sql"))
ASSETS = ["staging/extracted_exports", "staging/validated_exports", *TABLES, *MODELS, "analytics/snapshot",
          "analytics/report"]
# a dbt source no asset of ours writes (the schema step fills it from sources/labels.py): drawn, never materialized
EXTERNAL = ["ref/code_labels"]
GROUPS = ("staging", "ref", "core", "meta", "marts", "bao_cao", "data_quality", "analytics")
# A backfill's runs go through the queue one by one (reference, days, load and marts): a guard against a hung
# run, not a speed check. On CI, beside another worker's Dagster test, one took more than 300 s (stop 27).
BACKFILL_TIMEOUT_S = 1200

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_sigint() -> None:
    # Run in the child before exec: a SIGINT ignored by the parent (nohup, CI runners) would be inherited, and
    # `dagster dev` then ignores SIGTERM as well.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class DagsterDev:
    """`dagster dev` in its own process group; stop() TERMs the group, then KILLs what is left."""

    def __init__(self, env: dict, log_path: Path, port: int, workspace: Path = CHECKOUT / "workspace.yaml"):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self._log = open(log_path, "wb")
        dagster = Path(sys.executable).with_name("dagster")
        cmd = [str(dagster)] if dagster.exists() else [sys.executable, "-m", "dagster"]
        self.proc = subprocess.Popen(
            [*cmd, "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
            cwd=CHECKOUT, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_default_sigint, start_new_session=True)
        self.log_path = log_path

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return r.read()

    def gql(self, query: str, variables: dict | None = None) -> dict:
        req = urllib.request.Request(self.base + "/graphql", method="POST",
                                     data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out = json.load(r)
        assert "errors" not in out, out["errors"]
        return out["data"]

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        """The webserver answers /server_info and the code location is loaded."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dagster dev exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                json.loads(self.get("/server_info"))
                entries = self.gql("{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                                   "locationOrLoadError { __typename } } } } }")["workspaceOrError"]["locationEntries"]
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    assert all(e["locationOrLoadError"]["__typename"] == "RepositoryLocation" for e in entries), \
                        (entries, self.log_tail())
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"dagster dev not ready after {timeout_s:.0f} s:\n{self.log_tail()}")
            time.sleep(1)

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            try:  # the daemon, code server and run workers are in the same group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.proc.poll() is None:
                self.proc.wait(timeout=15)
        finally:
            self._log.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("dagster_ui")
    landing = root / "landing"
    generate_world(landing, scale=0.005)
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSO_", "DAGSTER_"))}
    env |= {
        "HOSO_LANDING_DIR": str(landing),
        "HOSO_WAREHOUSE_DB": str(root / "warehouse.duckdb"),
        "HOSO_ANALYTICS_DB": str(root / "analytics.duckdb"),
        "HOSO_DOCS_DIR": str(root / "docs"),
        "DAGSTER_HOME": str(home),
        "HOSO_DEMO": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return {"root": root, "landing": landing, "env": env, "days": sorted(landing_days(landing))}


@pytest.fixture(scope="module")
def dagster(world):
    server = DagsterDev(world["env"], world["root"] / "dagster_dev.log", free_port())
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser(tmp_path):
    b = Chromium(tmp_path / "profile", tmp_path / "chromium.log", timeout_s=90, width=1600, height=1000)
    try:
        b.open_page()
        yield b
    finally:
        b.close()


# JavaScript helpers evaluated in the page.
CLICK_TEXT = ("((sel, text) => { const e = [...document.querySelectorAll(sel)]"
              ".find(x => x.innerText.trim().startsWith(text)); if (e) e.click(); return !!e; })")
GRAPH_SETTINGS = ("[...document.querySelectorAll('button')].find(b => b.className.includes('Button_filled') && "
                  "b.querySelector('[aria-label=\"settings\"]'))")


def click(b: Chromium, selector: str, text: str, timeout_s: float = 30.0) -> None:
    b.wait_for(f"{CLICK_TEXT}({json.dumps(selector)}, {json.dumps(text)})", timeout_s)


def open_asset_graph(b: Chromium, base: str) -> None:
    """The global asset lineage with every group expanded (the UI collapses them by default)."""
    b.load(f"{base}/asset-groups")
    b.wait_for("document.body.innerText.includes('Materialize all')", 90)
    time.sleep(1)
    b.evaluate(f"{CLICK_TEXT}('button', 'Skip')")  # the community newsletter dialog of a new DAGSTER_HOME, if shown
    if not b.evaluate("document.body.innerText.includes('validated_exports')"):
        b.wait_for(f"!!{GRAPH_SETTINGS}", 30)
        b.evaluate(f"{GRAPH_SETTINGS}.click(), true")
        click(b, "[role=menuitem]", "Expand all groups", 10)
    # The graph draws only the nodes in view (a node shows its key's last part), so look for every group's line in
    # the sidebar and a node of the staging group; every asset key is checked over GraphQL below.
    groups = list(GROUPS)
    b.wait_for("(t => " + " && ".join(f"t.split('\\n').filter(l => l === '{g}').length >= 1" for g in groups)
               + " && t.includes('validated_exports'))(document.body.innerText)", 30)


def ui_problems(b: Chromium, base: str) -> list[str]:
    """Errors the page met: everything Chromium.problems() reports, with requests allowed to the webserver only.
    A request the UI cancels itself (net::ERR_ABORTED: its GraphQL polling when the page is left) is no error."""
    return [p for p in b.problems((base, "data:", "about:", "blob:")) if p != "load failed: net::ERR_ABORTED"]


def wait_backfill(dagster: DagsterDev, backfill_id: str, timeout_s: float = BACKFILL_TIMEOUT_S) -> dict:
    deadline = time.monotonic() + timeout_s
    query = ("query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename ... on PartitionBackfill "
             "{ id status runs(limit: 50) { runId status jobName assetSelection { path } } } } }")
    while True:
        bf = dagster.gql(query, {"id": backfill_id})["partitionBackfillOrError"]
        assert bf["__typename"] == "PartitionBackfill", bf
        runs = bf["runs"]
        terminal = all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs)
        if bf["status"] not in ("REQUESTED", "CANCELING") and terminal:
            return bf
        if time.monotonic() > deadline:
            raise TimeoutError(f"backfill {backfill_id} not done after {timeout_s:.0f} s: {bf}\n{dagster.log_tail()}")
        time.sleep(3)


ASSET_NODES = """{ assetNodes { assetKey { path } groupName kinds description
  owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  assetMaterializations(limit: 1) { runId metadataEntries { label __typename
    ... on UrlMetadataEntry { url } ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
    ... on TextMetadataEntry { text } } }
  assetChecksOrError { ... on AssetChecks { checks { name blocking
    executionForLatestMaterialization { status } } } } } }"""


def test_materialize_all_in_the_dagster_ui(dagster, world, browser, tmp_path):
    base = dagster.base
    days = world["days"]

    # Definitions as the UI lists them: the jobs per common task, the sensor and the schedule.
    repo = dagster.gql("{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name description } "
                       "sensors { name } schedules { name } } } } }")["repositoriesOrError"]["nodes"][0]
    assert {"daily_sync", "full_rebuild", "marts_only"} <= {j["name"] for j in repo["jobs"]}
    assert [s["name"] for s in repo["sensors"]] == ["landing_sensor"]
    assert [s["name"] for s in repo["schedules"]] == ["daily_after_cutoff"]

    # 1. The asset graph shows an asset per table, grouped by schema.
    open_asset_graph(browser, base)
    assert ui_problems(browser, base) == []

    # 2. "Materialize all…" opens the partition dialog: the sample world's days as a custom range, one backfill.
    click(browser, "button", "Materialize all")
    click(browser, "[role=dialog] button", "Show all partitions")
    browser.wait_for("!!document.querySelector('[role=dialog] input[type=text]')", 10)
    browser.evaluate("document.querySelector('[role=dialog] input[type=text]').focus()")
    browser.send("Input.insertText", {"text": f"[{days[0]}...{days[-1]}]"})
    browser.evaluate("document.activeElement.blur()")
    n = len(range((_date(days[-1]) - _date(days[0])).days + 1))
    browser.wait_for(f"document.querySelector('[role=dialog]').innerText.includes('{n} partitions')", 15)
    click(browser, "[role=dialog] button", "Launch backfill")
    toast = browser.wait_for("(document.body.innerText.match(/Created backfill (\\w+)/) || [])[1]", 60)

    # 3. The backfill runs (the daemon of `dagster dev` launches its runs); every run succeeds.
    bf = wait_backfill(dagster, toast)
    assert bf["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), bf
    assert bf["runs"] and all(r["status"] == "SUCCESS" for r in bf["runs"]), bf["runs"]
    done = {"/".join(p["path"]) for r in bf["runs"] for p in r["assetSelection"]}
    assert done == set(ASSETS)
    # Each daily asset ran over the whole range in one run (single-run backfill policy), not one run per day; the
    # unpartitioned tables (reference, load, marts) in runs of their own between them.
    for daily_asset in ("staging/extracted_exports", "staging/validated_exports"):
        runs = [r for r in bf["runs"] if daily_asset in {"/".join(p["path"]) for p in r["assetSelection"]}]
        assert len(runs) == 1, (daily_asset, runs)
    daily = [r for r in bf["runs"] if "staging/validated_exports" in {"/".join(p["path"]) for p in r["assetSelection"]}]

    # 4. A run's page in the browser says it succeeded, with the load stage's step.
    browser.load(f"{base}/runs/{daily[0]['runId']}")
    browser.wait_for("document.body.innerText.includes('validated_exports') && /Success/.test(document.body.innerText)",
                     60)
    assert ui_problems(browser, base) == []

    # 5. What the UI shows per asset.
    nodes = {"/".join(n["assetKey"]["path"]): n for n in dagster.gql(ASSET_NODES)["assetNodes"]}
    assert set(nodes) == set(ASSETS) | set(EXTERNAL)
    nodes = {name: node for name, node in nodes.items() if name not in EXTERNAL}
    for name, node in nodes.items():
        assert node["groupName"] in GROUPS, node
        assert node["owners"] == [{"team": "data-engineering"}] and node["kinds"] and node["description"], node
        assert node["assetMaterializations"], f"{name} was not materialized"
    meta = {name: {e["label"]: e for e in node["assetMaterializations"][0]["metadataEntries"]}
            for name, node in nodes.items()}
    # Numeric metadata (the Plots tab draws it over the materializations), not text.
    for asset, label, kind in [("meta/loads", "rows_loaded", "IntMetadataEntry"),
                               ("meta/loads", "rows_quarantined", "IntMetadataEntry"),
                               ("staging/validated_exports", "records_quarantined", "IntMetadataEntry"),
                               ("staging/validated_exports", "quarantined_pct", "FloatMetadataEntry"),
                               ("marts/online_ratio_by_level", "province_wide.online_ratio_pct", "FloatMetadataEntry"),
                               ("marts/online_ratio_by_level", "commune.online_ratio_pct", "FloatMetadataEntry"),
                               *((m, "dagster/row_count", "IntMetadataEntry") for m in MODELS),
                               *((t, "dagster/row_count", "IntMetadataEntry") for t in TABLES),
                               *((t, "dagster/column_schema", "TableSchemaMetadataEntry") for t in TABLES)]:
        assert meta[asset][label]["__typename"] == kind, (asset, label, meta[asset].get(label))
    assert meta["meta/loads"]["rows_loaded"]["intValue"] > 1000
    assert meta["core/dossiers"]["dagster/row_count"]["intValue"] > 500
    assert 50 < meta["marts/online_ratio_by_level"]["province_wide.online_ratio_pct"]["floatValue"] < 100
    assert "portal/hoso-" in meta["meta/files"]["loaded_files"]["text"]
    # Links to the data docs and the HTML report, and the files are there.
    docs = meta["staging/validated_exports"]["data_docs"]
    report = meta["analytics/report"]["report"]
    assert docs["__typename"] == report["__typename"] == "UrlMetadataEntry"
    assert Path(urllib.request.url2pathname(docs["url"].removeprefix("file://"))).is_file()
    assert Path(urllib.request.url2pathname(report["url"].removeprefix("file://"))).is_file()
    # One check per suite plus the blocking quarantined_share, evaluated on this materialization.
    checks = {c["name"]: c for c in nodes["staging/validated_exports"]["assetChecksOrError"]["checks"]}
    assert checks["quarantined_share"]["blocking"] is True
    assert checks["quarantined_share"]["executionForLatestMaterialization"]["status"] == "SUCCEEDED"
    assert "suite_dossiers" in checks and len(checks) >= 5
    assert all(c["executionForLatestMaterialization"] for c in checks.values())

    # 6. The asset graph after success, as a screenshot.
    open_asset_graph(browser, base)
    for key_event in ("keyDown", "keyUp"):  # close the graph settings menu
        browser.send("Input.dispatchKeyEvent", {"type": key_event, "key": "Escape", "code": "Escape",
                                                 "windowsVirtualKeyCode": 27})
    browser.evaluate(f"{CLICK_TEXT}('button', 'Hide navigation')")
    browser.evaluate("[...document.querySelectorAll('button')].find(b => b.className.includes('Button_filled') && "
                     "b.querySelector('[aria-label=\"panel_show_right\"]'))?.click(), true")  # the asset sidebar
    time.sleep(3)  # let the graph settle
    shot = tmp_path / "dagster_asset_graph.png"
    size = browser.screenshot(shot, full_page=False)
    assert png_size(shot) == size and shot.stat().st_size > 20_000
    if os.environ.get("HOSO_UI_SCREENSHOT_DIR"):
        out = Path(os.environ["HOSO_UI_SCREENSHOT_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / shot.name)
    assert ui_problems(browser, base) == []


def _date(s: str):
    from datetime import date

    return date.fromisoformat(s)
