"""Dagster's history on PostgreSQL, as deploy/dagster.yaml describes it for a team: `hoso run` with that file in
DAGSTER_HOME records its runs, their tags and their events in a real PostgreSQL server (tests/services.py) and
nothing in SQLite; a run launched through the instance is queued by the QueuedRunCoordinator with the writer limit;
with `dagster dev` running the daemon, a backfill launched as the UI launches one completes, all of it in PostgreSQL.

The server comes from the Debian package `postgresql`; without it the test fails saying so (CI installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
# What deploy/dagster.yaml sets for the queue, written out here rather than read back from it.
MAX_CONCURRENT_RUNS = 4
WRITER_LIMIT = [{"key": "hoso/writer", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]


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
    days_tags, tags = (dict(query(postgres_url, "SELECT key, value FROM run_tags WHERE run_id = :r", r=r))
                       for r, _ in runs)
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
        assert [dict(limit) for limit in queue.tag_concurrency_limits] == WRITER_LIMIT

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


# The backfill's runs go through the queue one by one (reference, days, load, marts...): ~4 min on a busy 2-core CI.
BACKFILL_TIMEOUT_S = 1200
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""


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
        keys = [n["assetKey"]["path"] for n in server.gql("{ assetNodes { assetKey { path } } }")["assetNodes"]
                if n["assetKey"]["path"] != ["ref", "code_labels"]]  # drawn, written by no asset of ours
        launched = server.gql(LAUNCH_BACKFILL, {"params": {
            "assetSelection": [{"path": k} for k in keys], "partitionNames": days}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        bf = wait_backfill(server, launched["backfillId"], timeout_s=BACKFILL_TIMEOUT_S)
    finally:
        server.stop()
    assert bf["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), bf
    assert bf["runs"] and all(r["status"] == "SUCCESS" for r in bf["runs"]), bf["runs"]

    # In PostgreSQL: the backfill, its runs (tagged with it) and their materializations; nothing in SQLite.
    assert query(storage, "SELECT status FROM bulk_actions WHERE key = :k",
                 k=launched["backfillId"]) == [("COMPLETED_SUCCESS",)]
    runs = runs_by_tag(storage, "dagster/backfill", launched["backfillId"])
    assert sorted(r for r, _ in runs) == sorted(r["runId"] for r in bf["runs"]), runs
    assert {("marts", "online_ratio_by_level"), ("analytics", "snapshot")} <= \
        set().union(*(materialized(storage, r) for r, _ in runs))
    assert not list(home.rglob("*.db")), sorted(home.rglob("*.db"))
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    want = manifest["clean_universe"]["40"]["all"]
    with duckdb.connect(env["HOSO_ANALYTICS_DB"], read_only=True) as con:
        assert con.execute("SELECT received, online FROM marts.online_ratio_by_level "
                           "WHERE level_key = 'province_wide'").fetchone() == (want["received"], want["online"])
