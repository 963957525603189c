"""Issue 15, classes 5, 7 and 8: runs that fail for the wrong reason, and errors that do not say why.

5. One odd file never blocks a run: a file dated outside the daily partitions (before 2020-01-01, years ahead) or
   with an impossible date is rejected with a reason naming the date rule; the run plans only the good days and the
   good batch beside it loads. A file dated a day or two ahead waits for its day.
7. The quarantine threshold judges each file (over 5 % AND at least 20 records quarantined): a small batch with a
   few bad records loads its good ones; a systemic failure blocks, naming the files and the reasons; a blocked file
   is never loaded behind the check's back, and a fix to the reference (a commune added) gets it validated again
   and loaded, the staging area untouched.
8. The warehouse held by another process, not writable, on a full disk, or damaged: `hoso run` ends in one line
   saying what happened and what to do, within seconds, and the Dagster step failure carries the same line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance

from assets.settings import Settings
from assets.validate import MIN_QUARANTINED
from cli.run import landing_days, run_pipeline
from pipelines.sensors import SETTLE_SECONDS, changed_partitions, landing_state
from sources.discover import FIRST_DAY, FUTURE_DAYS, day_outside, today_local
from stages.staging import StagedFile
from test_cli import FIXTURE_LANDING, hoso, hoso_env

MISSING_COMMUNE = "Xã Xuân Lâm"  # removed from the reference in class 7's cases


def settings_for(root: Path, landing: Path) -> Settings:
    return Settings(landing_dir=landing, warehouse_db=root / "warehouse.duckdb", analytics_db=root / "analytics.duckdb",
                    dagster_home=root / "dagster_home", docs_dir=root / "docs")


def run(settings: Settings, lines: list[str] | None = None) -> tuple[bool, list]:
    """(success, the step failures and check evaluations of its runs), in-process on an ephemeral instance."""
    with DagsterInstance.ephemeral() as instance:
        say = lines.append if lines is not None else None
        if say:
            import cli.run as cli_run

            old, cli_run.say = cli_run.say, say
        try:
            ok = run_pipeline(settings, allow_demo_key=True, quiet=say is None, instance=instance)
        finally:
            if say:
                cli_run.say = old
        events = [e.dagster_event for r in reversed(instance.get_runs()) for e in instance.all_logs(r.run_id)
                  if e.dagster_event is not None and
                  e.dagster_event.event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION)]
    return ok, events


def q(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def landing_with(world: Path, dest: Path, days: list[str]) -> Path:
    """The world's reference files and its portal dossier batches of these days (no processing steps)."""
    (dest / "reference").mkdir(parents=True, exist_ok=True)
    (dest / "portal").mkdir(parents=True, exist_ok=True)
    for p in (world / "reference").glob("*.csv"):
        shutil.copy2(p, dest / "reference" / p.name)
    for day in days:
        name = f"hoso-{day.replace('-', '')}-01.json"
        shutil.copy2(world / "portal" / name, dest / "portal" / name)
    return dest


def records(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_records(path: Path, rows: list[dict]) -> None:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------- 5. a file the pipeline cannot place


def test_the_date_rule():
    today = date(2026, 12, 2)
    assert day_outside(FIRST_DAY, today) is None and day_outside(today, today) is None
    assert day_outside(today + timedelta(days=FUTURE_DAYS), today) is None  # waits for its day
    for bad in (date(2019, 12, 31), date(1, 1, 1), today + timedelta(days=FUTURE_DAYS + 1), date(2099, 1, 1)):
        reason = day_outside(bad, today)
        assert reason and "outside the daily partitions" in reason and bad.isoformat() in reason


ODD = {  # name -> what its reason says
    "portal/hoso-20191231-01.json": "the date 2019-12-31 in the file name is outside the daily partitions",
    "portal/hoso-20990101-01.json": "the date 2099-01-01 in the file name is outside the daily partitions",
    "portal/hoso-00000000-01.json": "the date 00000000 in the file name is not a calendar date",
    "portal/xuly-20251399-01.json": "the date 20251399 in the file name is not a calendar date",
    "tasks/nq57-xa-19991231.csv": "the date 1999-12-31 in the file name is outside the daily partitions",
}


def test_odd_file_names_never_plan_a_partition(tmp_path):
    """`hoso run`'s range and the sensor: only the days that have a partition are planned."""
    landing = tmp_path / "landing"
    for rel in [*ODD, "portal/hoso-20250702-01.json"]:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_text("[]")
    ahead = (today_local() + timedelta(days=1)).strftime("%Y%m%d")
    (landing / f"portal/hoso-{ahead}-01.json").write_text("[]")
    assert landing_days(landing) == {"2025-07-02": ["portal/hoso-20250702-01.json"]}
    old = time.time_ns() - int(2 * SETTLE_SECONDS * 1e9)
    for p in landing.rglob("*.*"):
        os.utime(p, ns=(old, old))
    latest = today_local().isoformat()
    keys, cursor = changed_partitions({}, landing_state(landing), time.time_ns(), latest)
    # the odd files ride with the latest day (the reference step rejects them); the file dated tomorrow waits
    assert keys == {"2025-07-02", latest}
    assert f"portal/hoso-{ahead}-01.json" not in cursor and all(rel in cursor for rel in ODD)


@pytest.mark.slow
def test_odd_files_are_rejected_and_the_good_batch_loads(small_world_dir, tmp_path):
    days = ["2025-07-02", "2025-07-03"]
    landing = landing_with(small_world_dir, tmp_path / "landing", days)
    good = landing / "portal" / "hoso-20250702-01.json"
    for n, rel in enumerate(ODD):
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        # bytes of their own (not a duplicate of the good file): the date rule is what refuses them
        (landing / rel).write_bytes(good.read_bytes() + b" " * (n + 1))
    ahead = landing / "portal" / f"hoso-{(today_local() + timedelta(days=1)).strftime('%Y%m%d')}-01.json"
    ahead.write_bytes(good.read_bytes() + b"\n")
    settings = settings_for(tmp_path, landing)
    assert sorted(landing_days(landing)) == days  # not thousands of days
    ok, _ = run(settings)
    assert ok
    files = {rel: (outcome, reason) for rel, outcome, reason in
             q(settings.warehouse_db, "SELECT relpath, outcome, reason FROM meta.files")}
    for rel, says in ODD.items():
        outcome, reason = files[rel]
        assert outcome == "rejected" and says in reason, (rel, reason)
    assert ahead.relative_to(landing).as_posix() not in files  # waits for its day: not recorded, not rejected
    for day in days:
        assert files[f"portal/hoso-{day.replace('-', '')}-01.json"][0] == "loaded"
    expected = sum(len(records(landing / "portal" / f"hoso-{d.replace('-', '')}-01.json")) for d in days)
    loaded = q(settings.warehouse_db, "SELECT sum(records_loaded + records_quarantined) FROM meta.files "
               "WHERE outcome = 'loaded' AND relpath LIKE 'portal/%'")[0][0]
    assert loaded == expected
    assert settings.analytics_db.is_file()


# ---------------------------------------------------------------- 7. the quarantine threshold


def without_commune(landing: Path) -> str:
    """Remove MISSING_COMMUNE from the reference units; returns the original file text."""
    units = landing / "reference" / "units.csv"
    text = units.read_text(encoding="utf-8-sig")
    units.write_text("".join(line for line in text.splitlines(keepends=True) if f",{MISSING_COMMUNE}," not in line),
                     encoding="utf-8-sig")
    return text


def set_unit(path: Path, n: int, keep: int | None = None) -> int:
    """The first n records of a batch name MISSING_COMMUNE (keep: only the first `keep` records stay)."""
    rows = records(path)[:keep]
    for r in rows[:n]:
        r["DonViXuLy"] = MISSING_COMMUNE
    write_records(path, rows)
    return len(rows)


def staged(settings: Settings, rel: str) -> StagedFile:
    found = [StagedFile.load(f.parent) for f in settings.staging_dir.glob("*/*/file.json")]
    return next(s for s in found if s.relpath == rel)


@pytest.mark.slow
@pytest.mark.parametrize("keep,bad", [(13, 2), (60, MIN_QUARANTINED - 1)], ids=["13-with-2-bad", "60-with-19-bad"])
def test_a_small_batch_with_a_few_bad_records_loads_its_good_ones(small_world_dir, tmp_path, keep, bad):
    """The day's only batch, `bad` of its records naming a commune the reference lacks (15 %, 32 %): under the
    floor, its good records load and the marts are rebuilt."""
    landing = landing_with(small_world_dir, tmp_path / "landing", ["2025-07-02"])
    without_commune(landing)
    small = landing / "portal" / "hoso-20250702-01.json"
    assert set_unit(small, bad, keep=keep) == keep
    settings = settings_for(tmp_path, landing)
    ok, events = run(settings)
    assert ok
    check = next(e.event_specific_data for e in events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
                 and e.event_specific_data.check_name == "quarantined_share")
    assert check.passed and check.metadata["share_pct"].value > 5.0  # over 5 % of the run, yet not blocked
    rows = q(settings.warehouse_db, "SELECT outcome, records_read, records_loaded, records_quarantined FROM meta.files "
             "WHERE relpath = 'portal/hoso-20250702-01.json'")
    assert rows == [("loaded", keep, keep - bad, bad)]
    assert q(settings.warehouse_db, "SELECT count(*) FROM core.quarantine WHERE source_file = "
             "'portal/hoso-20250702-01.json' AND entity = 'dossiers' AND reasons LIKE '%unknown_unit%'")[0][0] == bad
    assert settings.analytics_db.is_file()


@pytest.mark.slow
def test_a_systemic_failure_blocks_stays_blocked_and_a_reference_fix_releases_it(small_world_dir, tmp_path):
    landing = landing_with(small_world_dir, tmp_path / "landing", ["2025-07-02", "2025-07-03"])
    units_text = without_commune(landing)
    broken_rel = "portal/hoso-20250703-01.json"
    total = set_unit(landing / broken_rel, 40)  # 40 of 157 (25 %), over the floor
    settings = settings_for(tmp_path, landing)

    # 1. blocked, with the file and the reason named, in the check and in the run's last line
    lines: list[str] = []
    ok, events = run(settings, lines)
    assert not ok
    check = next(e.event_specific_data for e in events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
                 and e.event_specific_data.check_name == "quarantined_share")
    assert not check.passed and check.blocking
    assert f"{broken_rel} (4" in check.description and f"of {total} quarantined" in check.description
    assert "top reasons: unknown_unit 4" in check.description, check.description
    failed = [line for line in lines if "check quarantined_share of" in line]
    assert len(failed) == 1 and broken_rel in failed[0] and "unknown_unit" in failed[0], lines
    assert lines[-1].startswith("run FAILED in ") and broken_rel in lines[-1] and "unknown_unit" in lines[-1]
    assert staged(settings, broken_rel).outcome == "blocked"
    assert not settings.analytics_db.exists()

    # 2. the next run (a later batch arrives): the blocked file stays blocked, the other batches load
    shutil.copy2(small_world_dir / "portal" / "hoso-20250704-01.json", landing / "portal")
    lines = []
    ok, events = run(settings, lines)
    assert ok, lines
    assert any("still blocked by quarantined_share" in line and broken_rel in line for line in lines), lines
    files = dict(q(settings.warehouse_db, "SELECT relpath, outcome FROM meta.files"))
    assert broken_rel not in files
    assert files["portal/hoso-20250702-01.json"] == files["portal/hoso-20250704-01.json"] == "loaded"
    assert staged(settings, broken_rel).outcome == "blocked"
    # `--force` or not, the same verdict while nothing it depends on changed
    ok, _ = run(settings)
    assert ok and broken_rel not in dict(q(settings.warehouse_db, "SELECT relpath, outcome FROM meta.files"))

    # 3. the commune is added to the reference: validated again, loaded, the staging area never deleted by hand
    (landing / "reference" / "units.csv").write_text(units_text, encoding="utf-8-sig")
    ok, _ = run(settings)
    assert ok
    rows = q(settings.warehouse_db, "SELECT outcome, records_read, records_loaded, records_quarantined FROM meta.files "
             "WHERE relpath = ?", [broken_rel])
    assert len(rows) == 1 and rows[0][0] == "loaded" and rows[0][1] == total and rows[0][3] < MIN_QUARANTINED
    assert q(settings.warehouse_db, "SELECT count(*) FROM core.dossier_observations WHERE source_file = ?",
             [broken_rel])[0][0] == rows[0][2] > total - MIN_QUARANTINED


# ---------------------------------------------------------------- 8. errors that say why


def one_line(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 1, (res.returncode, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


def timed_run(env: dict, *args: str) -> tuple[str, float]:
    t0 = time.perf_counter()
    res = hoso(env, "--quiet", "run", *args, timeout=300)
    return one_line(res), time.perf_counter() - t0


@pytest.fixture
def work(tmp_path) -> tuple[Path, dict]:
    shutil.copytree(FIXTURE_LANDING, tmp_path / "landing")
    return tmp_path, hoso_env(tmp_path) | {"HOSO_WAREHOUSE_LOCK_WAIT": "2"}


def make_warehouse(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")


@pytest.mark.slow
def test_warehouse_held_open_by_another_process(work):
    tmp, env = work
    make_warehouse(tmp / "warehouse.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(120)", str(tmp / "warehouse.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        line, took = timed_run(env)
    finally:
        holder.kill()
        holder.wait()
    assert line.startswith(f"hoso run: the warehouse {tmp / 'warehouse.duckdb'} is held open by another process")
    assert f"PID {holder.pid}" in line and "close that session" in line
    assert 2 <= took < 30, took  # waited briefly (HOSO_WAREHOUSE_LOCK_WAIT), then said so
    res = hoso(env, "--quiet", "run")  # closed: the run goes through
    assert res.returncode == 0 and res.stderr == "", res.stderr


@contextlib.contextmanager
def tmpfs(mount: Path, size: str):
    mount.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if res.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)])


@contextlib.contextmanager
def unwritable(folder: Path):
    """`folder` made unwritable: chmod for a user; for root (who ignores modes) a read-only tmpfs."""
    if os.geteuid() != 0:
        folder.mkdir(parents=True, exist_ok=True)
        for p in [folder, *folder.iterdir()]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p in [folder, *folder.iterdir()]:
                p.chmod(0o755 if p.is_dir() else 0o644)
        return
    saved = folder.with_name(folder.name + ".saved")
    if folder.exists():
        shutil.move(folder, saved)
    with tmpfs(folder, "8m"):
        if saved.exists():
            for p in saved.iterdir():
                shutil.copy2(p, folder / p.name)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield


@pytest.mark.slow
@pytest.mark.parametrize("existing", [False, True], ids=["folder", "file"])
def test_warehouse_or_its_folder_not_writable(work, existing):
    tmp, env = work
    folder = tmp / "wh"
    if existing:
        make_warehouse(folder / "warehouse.duckdb")
    env |= {"HOSO_WAREHOUSE_DB": str(folder / "warehouse.duckdb")}
    with unwritable(folder):
        line, took = timed_run(env)
    assert line.startswith(f"hoso run: cannot write the warehouse {folder / 'warehouse.duckdb'}")
    assert f"fix permissions on {folder / 'warehouse.duckdb' if existing else folder}" in line
    assert took < 20, took  # not ~100 s of retries


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["random", "short", "blocks"])
def test_damaged_warehouse_file(work, damage):
    tmp, env = work
    wh = tmp / "warehouse.duckdb"
    if damage == "random":
        wh.write_bytes(os.urandom(1 << 16))
    elif damage == "short":
        wh.write_bytes(b"DUCK")
    else:  # a real warehouse whose header survived and its blocks did not: found while opening or while loading
        make_warehouse(wh)
        data = bytearray(wh.read_bytes())
        data[8192:] = os.urandom(len(data) - 8192)
        wh.write_bytes(bytes(data))
    line, took = timed_run(env)
    assert line.startswith(f"hoso run: the warehouse file {wh} is damaged") or (
        f"the warehouse file {wh} is damaged" in line and "FAILED" in line), line
    assert "run `hoso rebuild`" in line
    assert took < 60, took


@pytest.mark.slow
def test_disk_full_during_the_load(small_world_dir, tmp_path):
    """The warehouse on a 2 MB file system (the staging area on the ordinary disk): the load fills it."""
    with tmpfs(tmp_path / "small_disk", "2m") as disk:
        landing = landing_with(small_world_dir, tmp_path / "landing", ["2025-07-02", "2025-07-03", "2025-07-04"])
        (tmp_path / "staging").mkdir()
        (disk / "staging").symlink_to(tmp_path / "staging")
        env = hoso_env(tmp_path, landing) | {"HOSO_WAREHOUSE_DB": str(disk / "warehouse.duckdb")}
        line, took = timed_run(env)
    assert f"no space left on the file system {disk}" in line and f"free space on {disk}" in line, line
    assert took < 120, took


@pytest.mark.slow
def test_each_cause_reaches_the_dagster_step_failure(small_world_dir, tmp_path, monkeypatch):
    """In-process, past `hoso run`'s early check: the step failure Dagster records (the UI's run view) carries the
    same one line, and the run's last progress line says it."""
    import assets.load

    landing = landing_with(small_world_dir, tmp_path / "landing", ["2025-07-02"])
    settings = settings_for(tmp_path, landing)

    def full(*_a, **_k):
        raise duckdb.IOException(f'IO Error: Could not write file "{settings.warehouse_db}": No space left on device')

    monkeypatch.setattr(assets.load, "load_files", full)
    lines: list[str] = []
    t0 = time.perf_counter()
    ok, events = run(settings, lines)
    assert not ok and time.perf_counter() - t0 < 90
    failures = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert [e.step_key for e in failures] == ["load"]
    error = failures[0].event_specific_data.error
    assert error.cls_name == "WarehouseFailure" and "No space left" not in error.message.splitlines()[0][:20]
    assert "no space left on the file system" in error.message and "free space on" in error.message
    assert "no space left on the file system" in lines[-1] and lines[-1].startswith("run FAILED in ")
    assert sum("load FAILED: no space left" in line for line in lines) == 1, lines

    # damaged under a running pipeline: the step that opens it says `hoso rebuild`
    monkeypatch.undo()
    settings.warehouse_db.write_bytes(os.urandom(1 << 14))
    lines = []
    ok, events = run(settings, lines)
    failures = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert not ok and failures
    assert all("is damaged" in e.event_specific_data.error.message and "hoso rebuild" in
               e.event_specific_data.error.message for e in failures)
    assert "run `hoso rebuild`" in lines[-1]
    assert sum("FAILED: the warehouse file" in line for line in lines) == 1, lines  # said once
