"""Runs on plain VMs, as deploy/celery/ describes them for a team: the Dagster instance of deploy/dagster.yaml
(PostgreSQL storage, the run queue) with the Celery run launcher of deploy/celery/run_launcher.yaml, a real Redis
(Debian's `redis-server`, tests/services.py) as broker and result backend, and a worker started as a worker VM starts it
(`dagster-celery worker start` with deploy/celery/worker.yaml). The daemon of `dagster dev` takes the runs of a backfill
off the queue and hands them to Celery; the worker runs them; the warehouse ends with the world's exact figures, and the
steps' output is in the shared logs folder, where the webserver reads it. Without Redis or PostgreSQL the test fails
saying which Debian package to install (CI installs both)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.run import landing_days
from samples.generate import generate_world
from services import free_port, new_database_url, postgres_url, redis_url  # noqa: F401  (the fixtures)
from test_cli import CHECKOUT, hoso_env
from test_dagster_on_postgres import (
    assert_world_online_ratio,
    launch_backfill_of_every_asset,
    query,
    run_tags,
    runs_by_tag,
)
from test_dagster_ui import DagsterDev, wait_backfill
from test_deploy_files import WORKER_YAML, celery_instance_text

DAGSTER_CELERY = Path(sys.executable).with_name("dagster-celery")
TASK_ID_TAG = "dagster-celery/task_id"  # set by the launcher on every run it hands to Celery
WORKER_NAME = "vm1"
CAPTURED_LOGS = "query($key: [String!]!) { capturedLogs(logKey: $key) { stdout stderr } }"


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """A worker VM's Celery worker, as README "From one machine to a team" starts one, in its own process group.
    `dagster-celery` runs the `celery` command of the environment: its bin folder goes first on PATH."""
    env = env | {"PATH": f"{DAGSTER_CELERY.parent}{os.pathsep}{env.get('PATH', '')}"}
    with open(log, "wb") as out:  # the worker writes into its own copy of the handle
        return subprocess.Popen([str(DAGSTER_CELERY), "worker", "start", "-A", "dagster_celery.app",
                                 "-y", str(WORKER_YAML), "-n", WORKER_NAME, "--", "--pool", "solo"],
                                cwd=CHECKOUT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_worker_ready(worker: subprocess.Popen, log: Path, timeout_s: float = 180.0) -> None:
    """Until Celery logs that the worker is connected and ready."""
    deadline = time.monotonic() + timeout_s
    while f"{WORKER_NAME}@" not in (text := log.read_text(errors="replace")) or " ready." not in text:
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited ({worker.returncode}):\n{text[-4000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Celery worker not ready after {timeout_s:.0f} s:\n{text[-4000:]}")
        time.sleep(1)


@pytest.mark.slow
def test_a_backfill_runs_on_a_celery_worker(tmp_path, postgres_url, redis_url):
    landing = tmp_path / "landing"
    generate_world(landing, scale=0.005)
    storage = new_database_url(postgres_url, "celery")
    env = hoso_env(tmp_path, landing=landing) | {
        "HOSO_DAGSTER_PG_URL": storage, "HOSO_DEMO": "1", "PYTHONUNBUFFERED": "1",
        "HOSO_CELERY_BROKER": f"{redis_url}/0", "HOSO_CELERY_BACKEND": f"{redis_url}/1",
        "HOSO_DAGSTER_LOGS": str(tmp_path / "shared" / "logs")}
    env.pop("HOSO_PII_KEY")  # the UI's runs pseudonymise with the demo key (HOSO_DEMO)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir()
    (home / "dagster.yaml").write_text(celery_instance_text(), encoding="utf-8")
    days = sorted(landing_days(landing))
    worker_log = tmp_path / "celery_worker.log"
    worker = start_worker(env, worker_log)
    server = None
    try:
        wait_worker_ready(worker, worker_log)
        server = DagsterDev(env, tmp_path / "dagster_dev.log", free_port())
        server.wait_ready()
        backfill_id = launch_backfill_of_every_asset(server, days)
        bf = wait_backfill(server, backfill_id)
        # The steps' output, written by the worker into the shared folder, as the webserver serves it to the UI.
        shown = {}
        for err in sorted(Path(env["HOSO_DAGSTER_LOGS"]).rglob("*.err")):
            key = list(err.relative_to(env["HOSO_DAGSTER_LOGS"]).with_suffix("").parts)
            shown[tuple(key)] = server.gql(CAPTURED_LOGS, {"key": key})["capturedLogs"]["stderr"]
    finally:
        if server is not None:
            server.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    log = worker_log.read_text(errors="replace")
    assert bf["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), (bf, log[-4000:])
    assert bf["runs"] and all(r["status"] == "SUCCESS" for r in bf["runs"]), (bf["runs"], log[-4000:])

    # Every run of the backfill went through Celery and was run by the worker, none by the daemon's machine; its
    # steps logged into the shared folder, and the webserver reads them.
    runs = runs_by_tag(storage, "dagster/backfill", backfill_id)
    assert sorted(r for r, _ in runs) == sorted(r["runId"] for r in bf["runs"]), runs
    for run_id, _ in runs:
        tags = run_tags(storage, run_id)
        task_id = tags.get(TASK_ID_TAG)
        assert task_id, (run_id, tags)
        assert f"Task execute_job[{task_id}] received" in log and f"Task execute_job[{task_id}] succeeded" in log, \
            (run_id, task_id, log[-4000:])
        events = query(storage, "SELECT event FROM event_logs WHERE run_id = :r AND dagster_event_type = "
                                "'ENGINE_EVENT'", r=run_id)
        assert any("Celery task has been forwarded to the broker." in e for (e,) in events), run_id
        logs = {key: text for key, text in shown.items() if key[0] == run_id}
        assert logs and all("STEP_SUCCESS" in text for text in logs.values()), (run_id, shown.keys())
    assert not list(home.rglob("*.err")), sorted(home.rglob("*.err"))  # none left in a machine's own DAGSTER_HOME
    assert_world_online_ratio(landing, env["HOSO_ANALYTICS_DB"])
