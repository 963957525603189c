"""Dagster's history on PostgreSQL, as deploy/dagster.yaml describes it for a team: `hoso run` with that file in
DAGSTER_HOME records its runs, their tags and their events in a real PostgreSQL server (tests/services.py) and
nothing in SQLite; a run launched through the instance is queued by the QueuedRunCoordinator with the writer limit;
with `dagster dev` running the daemon, a backfill launched as the UI launches one completes, all of it in PostgreSQL;
two feeds as two code locations of one instance run at once, and each feed's runs one after the other.

The server comes from the Debian package `postgresql`; without it the test fails saying so (CI installs it)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest
import sqlalchemy

from cli.run import landing_days
from samples.generate import generate_world
from services import free_port, new_database_url, postgres_url  # noqa: F401  (the fixture)
from test_cli import CHECKOUT, FIXTURE_LANDING, hoso, hoso_env
from test_dagster_ui import DagsterDev, wait_backfill

DEPLOY_YAML = CHECKOUT / "deploy" / "dagster.yaml"
DAGSTER = Path(sys.executable).with_name("dagster")  # the environment's dagster command
# What deploy/dagster.yaml sets for the queue, written out here rather than read back from it.
MAX_CONCURRENT_RUNS = 4
# One run per warehouse file (by day), one run per province (by province and day: test_province_partitions.py).
QUEUE_LIMITS = [{"key": "hoso/writer", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
                {"key": "dagster/partition/province", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]


def query(url: str, sql: str, **params) -> list[tuple]:
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as con:
            return [tuple(row) for row in con.execute(sqlalchemy.text(sql), params)]
    finally:
        engine.dispose()


def runs_by_tag(url: str, key: str, value: str) -> list[tuple[str, str]]:
    """(run_id, status) of the runs carrying a tag, oldest first."""
    return query(url, "SELECT r.run_id, r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
                      "WHERE t.key = :key AND t.value = :value ORDER BY r.id", key=key, value=value)


def run_tags(url: str, run_id: str) -> dict[str, str]:
    return dict(query(url, "SELECT key, value FROM run_tags WHERE run_id = :r", r=run_id))


def materialized(url: str, run_id: str) -> set[tuple[str, ...]]:
    rows = query(url, "SELECT DISTINCT asset_key FROM event_logs "
                      "WHERE run_id = :run_id AND dagster_event_type = 'ASSET_MATERIALIZATION'", run_id=run_id)
    return {tuple(json.loads(key)) for (key,) in rows}


@pytest.mark.slow
def test_runs_and_events_go_to_postgresql_and_launched_runs_queue(tmp_path, postgres_url, monkeypatch):
    shutil.copytree(FIXTURE_LANDING, tmp_path / "landing")
    env = hoso_env(tmp_path) | {"HOSO_DAGSTER_PG_URL": postgres_url}
    home = Path(env["DAGSTER_HOME"])
    home.mkdir()
    shutil.copyfile(DEPLOY_YAML, home / "dagster.yaml")

    res = hoso(env, "--quiet", "run")
    assert res.returncode == 0, res.stderr
    # `hoso run` is two runs (cli/run.py): the days, then the warehouse; one invocation tag
    runs = runs_by_tag(postgres_url, "hoso/command", "run")
    assert [status for _, status in runs] == ["SUCCESS", "SUCCESS"], runs
    days_tags, tags = (run_tags(postgres_url, r) for r, _ in runs)
    assert days_tags["hoso/part"] == "1/2 days" and "dagster/asset_partition_range_start" in days_tags, days_tags
    assert tags["hoso/part"] == "2/2 warehouse" and tags["hoso/invocation"] == days_tags["hoso/invocation"], tags
    writer = str(Path(env["HOSO_WAREHOUSE_DB"]).resolve())  # the file the runs write: the queue's unit
    assert tags["hoso/command"] == "run" and tags["hoso/writer"] == writer, tags
    assert ("staging", "validated_exports") in materialized(postgres_url, runs[0][0])
    run_id = runs[1][0]
    assert {("marts", "online_ratio_by_level"), ("analytics", "snapshot")} <= materialized(postgres_url, run_id)
    # the schedule storage's tables are there too (sensor and schedule state)
    tables = {t for (t,) in query(postgres_url, "SELECT table_name FROM information_schema.tables "
                                                "WHERE table_schema = 'public'")}
    assert {"runs", "run_tags", "event_logs", "instigators", "job_ticks"} <= tables, tables

    # nothing went to Dagster's SQLite storage in DAGSTER_HOME (history/runs.db, storage/*.db, schedules/)
    assert not list(home.rglob("*.db")), sorted(home.rglob("*"))
    assert not (home / "history").exists() and not (home / "schedules").exists()

    res = hoso(env, "--quiet", "run", "--force")
    assert res.returncode == 0, res.stderr
    runs = runs_by_tag(postgres_url, "hoso/command", "run")
    assert [status for _, status in runs] == ["SUCCESS"] * 4 and runs[1][0] == run_id, runs
    assert {("marts", "online_ratio_by_level"), ("analytics", "snapshot")} <= materialized(postgres_url, runs[3][0])

    # The instance of that DAGSTER_HOME queues what is launched through it (the UI, the sensor, the schedule, the
    # CLI below): the QueuedRunCoordinator with the writer limit. No daemon runs here, so the run stays queued.
    from dagster import DagsterInstance, DagsterRunStatus, QueuedRunCoordinator

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("HOSO_DAGSTER_PG_URL", postgres_url)
    with DagsterInstance.get() as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        queue = coordinator.get_run_queue_config()
        assert queue.max_concurrent_runs == MAX_CONCURRENT_RUNS
        assert [dict(limit) for limit in queue.tag_concurrency_limits] == QUEUE_LIMITS

        queued_id = str(uuid.uuid4())
        launch = subprocess.run([sys.executable, "-m", "dagster", "job", "launch", "-w", "workspace.yaml",
                                 "-j", "marts_only", "--run-id", queued_id],
                                cwd=CHECKOUT, env=env, text=True, capture_output=True, timeout=600)
        assert launch.returncode == 0, launch.stderr[-3000:]
        run = instance.get_run_by_id(queued_id)
        assert run is not None and run.status == DagsterRunStatus.QUEUED, run
        assert run.tags["hoso/writer"] == writer  # the tag the limit counts
    assert query(postgres_url, "SELECT status FROM runs WHERE run_id = :r", r=queued_id) == [("QUEUED",)]
    assert not list(home.rglob("*.db"))


@pytest.mark.slow
def test_a_storage_that_cannot_be_opened_is_one_line(tmp_path):
    """deploy/dagster.yaml without HOSO_DAGSTER_PG_URL, then with a server that does not answer: `hoso run` stops
    before any work with one line naming DAGSTER_HOME, its dagster.yaml and the setting."""
    env = hoso_env(tmp_path, landing=FIXTURE_LANDING)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True)
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    unreachable = "postgresql+psycopg2://postgres@127.0.0.1:1/nothing"  # port 1: nothing listens there
    for extra, cause in (({}, 'the environment variable "HOSO_DAGSTER_PG_URL" which is not set'),
                         ({"HOSO_DAGSTER_PG_URL": unreachable}, "too many retries for DB connection")):
        res = hoso(env | extra, "--quiet", "run")
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 1 and len(lines) == 1, res.stderr
        assert lines[0].startswith(f"hoso run: the Dagster instance of DAGSTER_HOME={home} cannot be opened (")
        assert cause in lines[0] and "HOSO_DAGSTER_PG_URL is set" in lines[0], lines[0]
    assert not (tmp_path / "warehouse.duckdb").exists()  # nothing was started


LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""


def launch_backfill_of_every_asset(server: DagsterDev, days: list[str]) -> str:
    """A backfill of every asset over these days, launched as the UI launches one; its id."""
    keys = [n["assetKey"]["path"] for n in server.gql("{ assetNodes { assetKey { path } } }")["assetNodes"]
            if n["assetKey"]["path"] != ["ref", "code_labels"]]  # drawn, written by no asset of ours
    launched = server.gql(LAUNCH_BACKFILL, {"params": {
        "assetSelection": [{"path": k} for k in keys], "partitionNames": days}})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def assert_world_online_ratio(landing: Path, analytics_db: str) -> None:
    """The snapshot's province-wide online ratio is the generated world's (its manifest, the ground truth)."""
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    want = manifest["clean_universe"]["40"]["all"]
    with duckdb.connect(analytics_db, read_only=True) as con:
        assert con.execute("SELECT received, online FROM marts.online_ratio_by_level "
                           "WHERE level_key = 'province_wide'").fetchone() == (want["received"], want["online"])


@pytest.mark.slow
def test_a_backfill_run_by_the_daemon_completes_on_postgresql(tmp_path, postgres_url):
    """`dagster dev` (webserver and daemon) with deploy/dagster.yaml: a backfill of every asset over the days of a
    small world, launched as the UI launches one, is queued and run by the daemon, and the backfill, its runs and
    their events are in PostgreSQL; the warehouse holds the world's exact figures (its manifest)."""
    landing = tmp_path / "landing"
    generate_world(landing, scale=0.005)
    # A database of its own: the run the first test left queued must not be dequeued by this daemon.
    storage = new_database_url(postgres_url, "dagster")
    env = hoso_env(tmp_path, landing=landing) | {"HOSO_DAGSTER_PG_URL": storage, "HOSO_DEMO": "1",
                                                 "PYTHONUNBUFFERED": "1"}
    env.pop("HOSO_PII_KEY")  # the UI's runs pseudonymise with the demo key (HOSO_DEMO)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir()
    shutil.copyfile(DEPLOY_YAML, home / "dagster.yaml")
    days = sorted(landing_days(landing))
    server = DagsterDev(env, tmp_path / "dagster_dev.log", free_port())
    try:
        server.wait_ready()
        backfill_id = launch_backfill_of_every_asset(server, days)
        bf = wait_backfill(server, backfill_id)
    finally:
        server.stop()
    assert bf["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), bf
    assert bf["runs"] and all(r["status"] == "SUCCESS" for r in bf["runs"]), bf["runs"]

    # In PostgreSQL: the backfill, its runs (tagged with it) and their materializations; nothing in SQLite.
    assert query(storage, "SELECT status FROM bulk_actions WHERE key = :k",
                 k=backfill_id) == [("COMPLETED_SUCCESS",)]
    runs = runs_by_tag(storage, "dagster/backfill", backfill_id)
    assert sorted(r for r, _ in runs) == sorted(r["runId"] for r in bf["runs"]), runs
    assert {("marts", "online_ratio_by_level"), ("analytics", "snapshot")} <= \
        set().union(*(materialized(storage, r) for r, _ in runs))
    assert not list(home.rglob("*.db")), sorted(home.rglob("*.db"))
    assert_world_online_ratio(landing, env["HOSO_ANALYTICS_DB"])


LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUNS = """query($ids: [String!]) { runsOrError(filter: { runIds: $ids }) { ... on Runs { results {
  runId status startTime endTime repositoryOrigin { repositoryLocationName } tags { key value } } } } }"""


def code_server(env: dict, name: str, port: int, log: Path) -> subprocess.Popen:
    """A feed's code location: `dagster api grpc` on the one Definitions, with that feed's settings."""
    with open(log, "wb") as out:  # the server writes into its own copy of the handle; ours is closed at once
        return subprocess.Popen([str(DAGSTER), "api", "grpc", "-m", "pipelines.definitions", "-h", "127.0.0.1",
                                 "-p", str(port), "--location-name", name],
                                cwd=CHECKOUT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_serving(server: subprocess.Popen, port: int, log: Path, timeout_s: float = 180.0) -> None:
    """Until the code server answers Dagster's gRPC health check: `dagster dev` started before it would load the
    location as an error (seen in a fresh-clone rehearsal on a busy machine: a code server took 5 s to start)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"code server on port {port} exited ({server.returncode}):\n{log.read_text()[-4000:]}")
        check = subprocess.run([str(DAGSTER), "api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(port)],
                               cwd=CHECKOUT, capture_output=True, text=True)
        if check.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"code server on port {port} not serving after {timeout_s:.0f} s:\n"
                               f"{log.read_text()[-4000:]}")
        time.sleep(1)


def built_at(warehouse: str):
    """When the marts of a warehouse were built last (data_quality.snapshot_info)."""
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute("SELECT built_at FROM data_quality.snapshot_info").fetchone()[0]


def wait_runs(server: DagsterDev, ids: list[str], timeout_s: float) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        runs = server.gql(RUNS, {"ids": ids})["runsOrError"]["results"]
        if len(runs) == len(ids) and all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs):
            return runs
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs not done after {timeout_s:.0f} s: {runs}\n{server.log_tail()}")
        time.sleep(2)


@pytest.mark.slow
def test_two_feeds_as_code_locations_run_at_once_and_each_one_queues(tmp_path, postgres_url):
    """One Dagster instance on PostgreSQL (deploy/dagster.yaml) and two code locations, one per feed (a `dagster api
    grpc` server each, with the feed's own warehouse file), as README "From one machine to a team" describes; the
    daemon of `dagster dev` launches what the UI launches. Feed A's `marts_only` twice and feed B's once, launched
    together: B runs while A's first run runs (another `hoso/writer`), A's second run waits for A's first (the same
    one: the queue's limit, not the warehouse lock), and all three succeed, each writing its own feed's warehouse."""
    storage = new_database_url(postgres_url, "feeds")
    feeds = {}
    for name in ("feed_a", "feed_b"):
        env = hoso_env(tmp_path / name, landing=tmp_path / name / "landing") | {
            "HOSO_DAGSTER_PG_URL": storage, "HOSO_DEMO": "1", "PYTHONUNBUFFERED": "1",
            "DAGSTER_HOME": str(tmp_path / "dagster_home")}
        env.pop("HOSO_PII_KEY")  # the UI's runs pseudonymise with the demo key (HOSO_DEMO)
        feeds[name] = env
    # Feed A's warehouse from the fixture world; feed B's a copy of it at its own path.
    shutil.copytree(FIXTURE_LANDING, tmp_path / "feed_a" / "landing")
    shutil.copytree(FIXTURE_LANDING, tmp_path / "feed_b" / "landing")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY_YAML, home / "dagster.yaml")
    res = hoso(feeds["feed_a"] | {"HOSO_PII_KEY": "feeds-test-key-0123456789"}, "--quiet", "run")
    assert res.returncode == 0, res.stderr
    shutil.copyfile(feeds["feed_a"]["HOSO_WAREHOUSE_DB"], feeds["feed_b"]["HOSO_WAREHOUSE_DB"])
    before = built_at(feeds["feed_a"]["HOSO_WAREHOUSE_DB"])
    time.sleep(1.1)  # built_at has whole seconds

    ports = {name: free_port() for name in feeds}
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text("load_from:\n" + "".join(
        f"  - grpc_server: {{host: 127.0.0.1, port: {ports[n]}, location_name: {n}}}\n" for n in feeds))
    servers = [code_server(feeds[n], n, ports[n], tmp_path / f"{n}.log") for n in feeds]
    dev = None
    try:
        for name, server in zip(feeds, servers):
            wait_serving(server, ports[name], tmp_path / f"{name}.log")
        dev_env = hoso_env(tmp_path / "dev") | {"HOSO_DAGSTER_PG_URL": storage, "DAGSTER_HOME": str(home)}
        dev = DagsterDev(dev_env, tmp_path / "dagster_dev.log", free_port(), workspace=workspace)
        dev.wait_ready()
        ids = []
        for name in ("feed_a", "feed_a", "feed_b"):
            launched = dev.gql(LAUNCH_RUN, {"params": {"selector": {
                "repositoryLocationName": name, "repositoryName": "__repository__", "jobName": "marts_only"},
                "runConfigData": {}}})["launchRun"]
            assert launched["__typename"] == "LaunchRunSuccess", launched
            ids.append(launched["run"]["runId"])
        runs = {r["runId"]: r for r in wait_runs(dev, ids, timeout_s=900)}
    finally:
        if dev is not None:
            dev.stop()
        for proc in servers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    a1, a2, b1 = (runs[i] for i in ids)
    assert [r["status"] for r in (a1, a2, b1)] == ["SUCCESS"] * 3, (runs, dev.log_tail())
    assert [r["repositoryOrigin"]["repositoryLocationName"] for r in (a1, a2, b1)] == ["feed_a", "feed_a", "feed_b"]
    writers = [{t["key"]: t["value"] for t in r["tags"]}["hoso/writer"] for r in (a1, a2, b1)]
    assert writers == [str(Path(feeds[n]["HOSO_WAREHOUSE_DB"]).resolve()) for n in ("feed_a", "feed_a", "feed_b")]
    assert a2["startTime"] >= a1["endTime"], (a1, a2)  # the same feed: one after the other
    assert b1["startTime"] < a1["endTime"] and a1["startTime"] < b1["endTime"], (a1, b1)  # two feeds: at once
    for name in feeds:  # each feed's runs rebuilt its own warehouse's marts
        assert built_at(feeds[name]["HOSO_WAREHOUSE_DB"]) > before, name
