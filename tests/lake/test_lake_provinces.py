"""Partitions by province and day into the lake: one process per province at a time, the three provinces' processes
at once (as the run queue's limit on `dagster/partition/province` lets them run), each loading its (day, province)
partition of a 3-province world into one DuckLake, give the records and marts of one process loading the same files
by day into the embedded warehouse. Runs in the lake environment with a real PostgreSQL, like test_lake_mode.py.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from cli.run import landing_days
from samples.generate import generate_world
from services import new_database, postgres_url  # noqa: F401
from tests.test_cli import CHECKOUT, hoso, hoso_env
from tests.test_dagster_on_postgres import DAGSTER
from tests.test_province_partitions import (
    HOME,
    OTHERS,
    PROVINCE_LIST,
    RECORD_SCHEMAS,
    materialize,
    two_days_landing,
)
from tests.lake.test_lake_mode import fingerprints
from warehouse.db import read_warehouse
from warehouse.lake import LAKE_DATA_ENV, LAKE_ENV

pytestmark = pytest.mark.slow


def test_provinces_loaded_at_once_into_the_lake_give_one_process_by_day(tmp_path, postgres_url,  # noqa: F811
                                                                        monkeypatch):
    world = tmp_path / "world"
    generate_world(world, scale=0.005, provinces=len(OTHERS))
    landing = tmp_path / "landing"
    days = two_days_landing(world, landing)

    by_day = hoso_env(tmp_path / "embedded", landing=landing)
    (tmp_path / "embedded").mkdir()
    res = hoso(by_day, "--quiet", "run")
    assert res.returncode == 0, res.stderr

    lake = {LAKE_ENV: "ducklake:postgres:" + new_database(postgres_url), LAKE_DATA_ENV: f"{tmp_path / 'lake-data'}/"}
    env = hoso_env(tmp_path / "lake", landing=landing) | lake | {"HOSO_PROVINCES": PROVINCE_LIST}
    Path(env["DAGSTER_HOME"]).mkdir(parents=True)
    # The instance's SQLite storages created once, before three processes would race creating them.
    subprocess.run([str(DAGSTER), "instance", "migrate"], env=env, cwd=CHECKOUT, check=True, capture_output=True)
    for day in days:  # each day: the three provinces' runs at once
        procs = {p: materialize(env, f"{day}|{p}", tmp_path / f"{day}-{p}.log") for p in (HOME, *OTHERS)}
        for p, proc in procs.items():
            assert proc.wait(timeout=900) == 0, (tmp_path / f"{day}-{p}.log").read_text()[-3000:]

    with contextlib.closing(read_warehouse(by_day["HOSO_WAREHOUSE_DB"])) as con:
        want = {t: v for t, v in fingerprints(con).items() if t.startswith(RECORD_SCHEMAS)}
    for name, value in lake.items():
        monkeypatch.setenv(name, value)
    with contextlib.closing(read_warehouse(env["HOSO_WAREHOUSE_DB"])) as con:
        got = {t: v for t, v in fingerprints(con).items() if t.startswith(RECORD_SCHEMAS)}
        parts = con.execute("SELECT count(*) FROM meta.files WHERE relpath LIKE '%#province=%'").fetchone()[0]
    assert len(want) > 30 and got == want
    assert parts == 3 * sum(len(landing_days(landing)[d]) for d in days)
