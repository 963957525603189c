"""By province and day (HOSO_PROVINCES): the split of a file by province at extract, a run of one (day, province)
loading that province's parts only, the whole world loaded so giving the warehouse of the default (by day), and a
backfill over day x province run by the daemon on PostgreSQL storage, one run per province at a time.

The world: the sample generator's home province (40) and two more (01, 04), whose national-portal batches carry the
three provinces' dossiers in one file."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.settings import PROVINCES_ENV, SettingsError, provinces
from cli.run import landing_days
from samples.generate import generate_world
from services import free_port, new_database_url, postgres_url  # noqa: F401  (the fixture)
from stages.split import split_frames
from stages.staging import whole_files
from test_cli import CHECKOUT, hoso, hoso_env
from test_dagster_on_postgres import DAGSTER, DEPLOY_YAML, query, run_tags, runs_by_tag
from test_dagster_ui import DagsterDev, wait_backfill
from tests.lake.test_lake_mode import fingerprints

HOME, OTHERS = "40", ("01", "04")
PROVINCE_LIST = ",".join((HOME, *OTHERS))
# What the province split must leave as by day: the records, the reference, the marts. The history of files and
# loads (meta, data_quality) lists parts instead of files, by design.
RECORD_SCHEMAS = ("core.", "ref.", "marts.")


# ---------------------------------------------------------------- the split and the setting (quick)

def test_each_record_goes_to_the_province_its_code_names_and_the_rest_to_the_home_province():
    dossiers = pl.DataFrame({
        "dossier_code": ["000.00.14.H40-250701-0001", "000.10.43.H01-250702-0001", "not a code",
                         "000.00.01.H99-250701-0002", None, "000.00.02.H04-250703-0007"],
        "source_row": [1, 2, 3, 4, 5, 6]})
    documents = pl.DataFrame({"dossier_code": ["000.10.43.H01-250702-0001", "000.00.14.H40-250701-0001",
                                               "000.10.43.H01-250702-0001"], "position": [0, 0, 1]})
    tasks = pl.DataFrame({"commune_code": ["17329"], "task_code": ["NV01"]})  # no dossier code: the home's

    parts = split_frames({"dossiers": dossiers, "documents": documents, "commune_tasks": tasks}, (HOME, *OTHERS))

    assert sorted(parts) == sorted((HOME, *OTHERS))
    # H99 is no province of this warehouse, "not a code" and null name none: home, validated there.
    assert parts["40"]["dossiers"]["source_row"].to_list() == [1, 3, 4, 5]
    assert parts["01"]["dossiers"]["source_row"].to_list() == [2]
    assert parts["04"]["dossiers"]["source_row"].to_list() == [6]
    assert parts["01"]["documents"]["position"].to_list() == [0, 1]
    assert parts["04"]["documents"].height == 0 and parts["04"]["documents"].schema == documents.schema
    assert parts["40"]["commune_tasks"].equals(tasks)
    assert parts["01"]["commune_tasks"].height == parts["04"]["commune_tasks"].height == 0
    assert sum(p["dossiers"].height for p in parts.values()) == dossiers.height


def test_a_file_is_recorded_once_every_province_has_its_part():
    recorded = {("portal/a.json#province=40", "s1"), ("portal/a.json#province=01", "s1"),
                ("portal/b.json#province=40", "s2"), ("portal/b.json#province=01", "s2"),
                ("portal/b.json#province=04", "s2"), ("reference/units.csv", "s3"), ("x.json#province=04", "s4")}
    assert whole_files(recorded, (HOME, *OTHERS)) == {("portal/b.json", "s2"), ("reference/units.csv", "s3")}


def test_the_province_setting_says_what_is_wrong(monkeypatch):
    monkeypatch.delenv(PROVINCES_ENV, raising=False)
    assert provinces() == ()
    monkeypatch.setenv(PROVINCES_ENV, " 40, 01,04 ")
    assert provinces() == ("40", "01", "04")
    for text, said in (("40,1", "'1' is not a two-digit province code"), ("40,01,40", "names a province twice"),
                       ("40,Hà Nội", "is not a two-digit province code")):
        monkeypatch.setenv(PROVINCES_ENV, text)
        with pytest.raises(SettingsError, match=said):
            provinces()


# What the code location requests by province and day, evaluated in a process of its own (the partitions are
# decided when the assets are imported): the sensor and the schedule ask for one run per province of the day, and
# the jobs name the warehouse without the per-file queue tag.
REQUESTS = """
import json, os, sys, time
from datetime import datetime
from zoneinfo import ZoneInfo
from dagster import build_schedule_context, build_sensor_context
from assets.resources import PathsResource
from pipelines.definitions import defs
from pipelines.schedules import daily_after_cutoff
tmp = sys.argv[1]
batch = os.path.join(tmp, "landing", "portal", "hoso-20250701-01.json")
os.makedirs(os.path.dirname(batch))
open(batch, "w").write("[]")
os.utime(batch, (time.time() - 60, time.time() - 60))
paths = PathsResource(landing_dir=os.path.join(tmp, "landing"), staging_dir=os.path.join(tmp, "staging"),
                      analytics_db=os.path.join(tmp, "a.duckdb"), docs_dir=os.path.join(tmp, "docs"))
with build_sensor_context(resources={"paths": paths}) as context:
    sensed = [r.partition_key for r in defs.resolve_sensor_def("landing_sensor")(context)]
at = datetime(2025, 7, 3, 16, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
with build_schedule_context(scheduled_execution_time=at) as context:
    scheduled = [r.partition_key for r in daily_after_cutoff(context)]
print(json.dumps({"sensed": sensed, "scheduled": scheduled,
                  "tags": sorted(defs.resolve_job_def("daily_sync").tags)}))
"""


def test_the_sensor_and_the_schedule_request_a_run_per_province(tmp_path):
    env = hoso_env(tmp_path) | {PROVINCES_ENV: PROVINCE_LIST}
    res = subprocess.run([sys.executable, "-c", REQUESTS, str(tmp_path)], env=env, cwd=CHECKOUT, text=True,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["sensed"] == ["2025-07-01|40", "2025-07-01|01", "2025-07-01|04"]
    assert got["scheduled"] == ["2025-07-03|40", "2025-07-03|01", "2025-07-03|04"]
    assert "hoso/warehouse" in got["tags"] and "hoso/writer" not in got["tags"]


# ---------------------------------------------------------------- the pipeline by province and day (slow)

@pytest.fixture(scope="module")
def three_provinces(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("three_provinces") / "landing"
    generate_world(landing, scale=0.005, provinces=len(OTHERS))
    return landing


def env_for(tmp: Path, landing: Path, by_province: bool) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    env = hoso_env(tmp, landing=landing)
    return env | {PROVINCES_ENV: PROVINCE_LIST} if by_province else env


def record_fingerprints(warehouse: str) -> dict:
    with contextlib.closing(duckdb.connect(warehouse, read_only=True)) as con:
        return {t: v for t, v in fingerprints(con).items() if t.startswith(RECORD_SCHEMAS)}


def file_figures(warehouse: str) -> dict[str, tuple]:
    """{landing file: (parts, records read, loaded, quarantined)} from meta.files, parts added up per file."""
    with contextlib.closing(duckdb.connect(warehouse, read_only=True)) as con:
        rows = con.execute("""
            SELECT split_part(relpath, '#province=', 1) AS file, count(*), sum(records_read), sum(records_loaded),
                   sum(records_quarantined)
            FROM meta.files GROUP BY ALL ORDER BY ALL""").fetchall()
    return {r[0]: tuple(int(x) for x in r[1:]) for r in rows}


def code_province_counts(path: Path) -> dict[str, int]:
    """{province: records} of a national-portal batch, read from the JSON itself (the dossier codes' `.HPP-`)."""
    counts: dict[str, int] = {}
    for record in json.loads(path.read_text(encoding="utf-8")):
        code = record.get("MaHoSo") or ""
        province = code.split(".H", 1)[1][:2] if ".H" in code else HOME
        province = province if province in (HOME, *OTHERS) else HOME
        counts[province] = counts.get(province, 0) + 1
    return counts


@pytest.mark.slow
def test_by_province_and_day_the_warehouse_is_the_one_by_day(three_provinces, tmp_path):
    """`hoso run` with HOSO_PROVINCES and without it over the same world: the same records, reference and marts; each
    file recorded as one part per province whose figures add up to the file's; a second run loads nothing."""
    by_day = env_for(tmp_path / "day", three_provinces, by_province=False)
    by_province = env_for(tmp_path / "province", three_provinces, by_province=True)
    for env in (by_day, by_province):
        res = hoso(env, "--quiet", "run")
        assert res.returncode == 0, res.stderr

    want = record_fingerprints(by_day["HOSO_WAREHOUSE_DB"])
    assert len(want) > 30 and record_fingerprints(by_province["HOSO_WAREHOUSE_DB"]) == want

    days, provinces_ = file_figures(by_day["HOSO_WAREHOUSE_DB"]), file_figures(by_province["HOSO_WAREHOUSE_DB"])
    assert sorted(provinces_) == sorted(days)
    for file, (n, read, loaded, quarantined) in days.items():
        parts = 1 if file.startswith("reference/") or file == "tasks/xep-hang-tinh.csv" else 1 + len(OTHERS)
        assert provinces_[file] == (parts, read, loaded, quarantined), file

    # A portal batch's parts hold its provinces' records, counted from the JSON itself.
    batch = "portal/hoso-20250703-01.json"
    with contextlib.closing(duckdb.connect(by_province["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        parts = dict(con.execute("SELECT split_part(relpath, '#province=', 2), records_read FROM meta.files "
                                 "WHERE relpath LIKE ? || '#%'", [batch]).fetchall())
    counts = code_province_counts(three_provinces / batch)
    assert len(counts) == 3 and parts == counts

    # Each province's figures are the world's (its manifest, the generator's ground truth).
    manifest = json.loads((three_provinces / "manifest.json").read_text(encoding="utf-8"))
    with contextlib.closing(duckdb.connect(by_province["HOSO_ANALYTICS_DB"], read_only=True)) as con:
        for province in (HOME, *OTHERS):
            want = manifest["clean_universe"][province]["all"]
            assert con.execute("SELECT received, online FROM marts.online_ratio_by_level WHERE province_code = ? "
                               "AND level_key = 'province_wide'", [province]).fetchone() == \
                (want["received"], want["online"]), province

    with contextlib.closing(duckdb.connect(by_province["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        loads = con.execute("SELECT count(*) FROM meta.loads").fetchone()
    res = hoso(by_province, "run")
    assert res.returncode == 0 and res.stderr.startswith("nothing new: the "), res.stderr
    with contextlib.closing(duckdb.connect(by_province["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        assert con.execute("SELECT count(*) FROM meta.loads").fetchone() == loads


def materialize(env: dict, key: str, log: Path) -> subprocess.Popen:
    """Every asset for one (day, province) partition, as `dagster asset materialize` runs it, started."""
    return subprocess.Popen([str(DAGSTER), "asset", "materialize", "-m", "pipelines.definitions", "--select", "*",
                             "--partition", key], env=env, cwd=CHECKOUT, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def materialize_partition(env: dict, key: str, log: Path) -> None:
    assert materialize(env, key, log).wait(timeout=600) == 0, log.read_text()[-3000:]


def two_days_landing(world: Path, landing: Path) -> list[str]:
    """A landing folder of the world's third and fourth days and its reference files; those days."""
    days = sorted(landing_days(world))[2:4]
    for rel in [f for d in days for f in landing_days(world)[d]] + \
            [p.relative_to(world).as_posix() for p in (world / "reference").iterdir()]:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(world / rel, landing / rel)
    return days


@pytest.mark.slow
def test_a_province_run_loads_its_parts_and_leaves_the_others_staged_for_theirs(three_provinces, tmp_path):
    env = env_for(tmp_path, three_provinces, by_province=True)
    Path(env["DAGSTER_HOME"]).mkdir()
    day = "2025-07-03"
    batches = sorted(f for f in landing_days(three_provinces)[day] if f.startswith("portal/"))
    assert batches

    materialize_partition(env, f"{day}|01", tmp_path / "01.log")
    with contextlib.closing(duckdb.connect(env["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        dated = con.execute("SELECT relpath, records_read FROM meta.files WHERE relpath LIKE '%#province=%' "
                            "ORDER BY relpath").fetchall()
    files = landing_days(three_provinces)[day]
    assert [r for r, _ in dated] == sorted(f"{f}#province=01" for f in files)
    hoso_batch = next(b for b in batches if "/hoso-" in b)
    assert dict(dated)[f"{hoso_batch}#province=01"] == code_province_counts(three_provinces / hoso_batch)["01"]
    # The other provinces' parts wait in the staging area, split once.
    staging = Path(env["HOSO_WAREHOUSE_DB"]).parent / "staging" / day
    waiting = sorted(json.loads(p.read_text())["relpath"] for p in staging.glob("*/file.json"))
    assert waiting == sorted(f"{f}#province={p}" for f in files for p in (HOME, "04"))

    materialize_partition(env, f"{day}|40", tmp_path / "40.log")
    with contextlib.closing(duckdb.connect(env["HOSO_WAREHOUSE_DB"], read_only=True)) as con:
        provinces_loaded = con.execute("SELECT DISTINCT split_part(relpath, '#province=', 2) FROM meta.files "
                                       "WHERE relpath LIKE '%#province=%' ORDER BY 1").fetchall()
    assert provinces_loaded == [("01",), ("40",)]
    assert sorted(json.loads(p.read_text())["relpath"] for p in staging.glob("*/file.json")) == \
        sorted(f"{f}#province=04" for f in files)


@pytest.mark.slow
def test_a_backfill_over_day_and_province_runs_one_run_per_province_at_a_time(three_provinces, tmp_path,
                                                                              postgres_url):  # noqa: F811
    """`dagster dev` with deploy/dagster.yaml on PostgreSQL and HOSO_PROVINCES: a backfill of every asset over two
    days x three provinces, launched as the UI launches one, completes; each partition is a run tagged with its
    province; two runs of one province never overlap (the queue's limit), runs of different provinces may; the
    warehouse holds, for those days, the records of `hoso run` by day over a landing folder of those days only."""
    landing = tmp_path / "landing"
    days = two_days_landing(three_provinces, landing)
    storage = new_database_url(postgres_url, "dagster")
    env = env_for(tmp_path / "province", landing, by_province=True) | {
        "HOSO_DAGSTER_PG_URL": storage, "PYTHONUNBUFFERED": "1"}  # the runs pseudonymise with hoso run's key
    home = Path(env["DAGSTER_HOME"])
    home.mkdir()
    shutil.copyfile(DEPLOY_YAML, home / "dagster.yaml")
    keys = [f"{d}|{p}" for d in days for p in (HOME, *OTHERS)]
    server = DagsterDev(env, tmp_path / "dagster_dev.log", free_port())
    try:
        server.wait_ready()
        nodes = server.gql("{ assetNodes { assetKey { path } } }")["assetNodes"]
        launched = server.gql(
            """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
               __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
            {"params": {"assetSelection": [{"path": n["assetKey"]["path"]} for n in nodes
                                           if n["assetKey"]["path"] != ["ref", "code_labels"]],
                        "partitionNames": keys}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        bf = wait_backfill(server, launched["backfillId"])
    finally:
        server.stop()
    assert bf["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), bf
    assert bf["runs"] and all(r["status"] == "SUCCESS" for r in bf["runs"]), bf["runs"]

    runs = runs_by_tag(storage, "dagster/backfill", launched["backfillId"])
    tags = {run_id: run_tags(storage, run_id) for run_id, _ in runs}
    by_partition = {t["dagster/partition"]: r for r, t in tags.items() if "dagster/partition" in t}
    assert sorted(by_partition) == sorted(keys)
    assert all(tags[r]["dagster/partition/province"] == k.split("|")[1] for k, r in by_partition.items())
    # One run per province at a time: the runs of one province, by start, each start after the previous end.
    rows = query(storage, "SELECT run_id, start_time, end_time FROM runs WHERE run_id IN :ids",
                 ids=tuple(by_partition.values()))
    span = {r: (s, e) for r, s, e in rows}
    for province in (HOME, *OTHERS):
        mine = sorted(span[r] for k, r in by_partition.items() if k.endswith(f"|{province}"))
        assert len(mine) == len(days)
        assert all(later[0] >= earlier[1] for earlier, later in zip(mine, mine[1:])), (province, mine)
    # Many provinces at once: some run started before the one started before it had ended (another province's).
    ordered = sorted(span.values())
    assert any(later[0] < earlier[1] for earlier, later in zip(ordered, ordered[1:])), ordered

    by_day = env_for(tmp_path / "day", landing, by_province=False)
    res = hoso(by_day, "--quiet", "run")
    assert res.returncode == 0, res.stderr
    assert record_fingerprints(env["HOSO_WAREHOUSE_DB"]) == record_fingerprints(by_day["HOSO_WAREHOUSE_DB"])
