"""The `hoso` command line as a user meets it: one-line errors that say what is wrong and what to do (a traceback
only with --debug), progress stage by stage, run tags, and `hoso rebuild`, which puts the previous warehouse back
when the rebuild fails.

The error cases run `hoso` as a subprocess with its settings in a temporary folder (a few seconds each); the cases
that run the pipeline use a tiny sample world (scale 0.002) and are marked slow."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cli.run import landing_days
from assets.settings import Settings

CHECKOUT = Path(__file__).resolve().parents[1]
FIXTURE_LANDING = CHECKOUT / "tests" / "fixtures_sources" / "landing"
KEY = "test-key-0123456789abcdef"


def hoso_env(tmp: Path, landing: Path | None = None, key: str | None = KEY) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSO_", "DAGSTER_"))}
    env |= {
        "HOSO_LANDING_DIR": str(landing or tmp / "landing"),
        "HOSO_WAREHOUSE_DB": str(tmp / "warehouse.duckdb"),
        "HOSO_ANALYTICS_DB": str(tmp / "analytics.duckdb"),
        "HOSO_DOCS_DIR": str(tmp / "docs"),
        "DAGSTER_HOME": str(tmp / "dagster_home"),
    }
    if key:
        env["HOSO_PII_KEY"] = key
    return env


def hoso(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=CHECKOUT, env=env, text=True,
                          capture_output=True, timeout=timeout)


def one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr  # no traceback, no Dagster noise
    assert "Traceback" not in res.stderr
    return lines[0]


# ---------------------------------------------------------------- errors: what is wrong and what to do


def test_missing_landing_folder(tmp_path):
    line = one_line_error(hoso(hoso_env(tmp_path, tmp_path / "nowhere"), "run"))
    assert line.startswith("hoso run: the landing folder ") and "does not exist" in line
    assert "HOSO_LANDING_DIR" in line and "hoso sample" in line


def test_empty_landing_folder(tmp_path):
    (tmp_path / "landing").mkdir()
    line = one_line_error(hoso(hoso_env(tmp_path), "run"))
    assert "is empty" in line and "hoso sample" in line


def test_run_without_the_pii_key(tmp_path):
    shutil.copytree(FIXTURE_LANDING, tmp_path / "landing")
    line = one_line_error(hoso(hoso_env(tmp_path, key=None), "run"))
    assert line.startswith("hoso run: HOSO_PII_KEY is not set: set it")
    assert not (tmp_path / "warehouse.duckdb").exists()  # refused before any work


def test_report_before_any_run(tmp_path):
    line = one_line_error(hoso(hoso_env(tmp_path), "report"))
    assert "no analytics snapshot" in line and "hoso run" in line


def test_debug_shows_the_traceback(tmp_path):
    for args in (["--debug", "run"], ["run", "--debug"]):
        res = hoso(hoso_env(tmp_path, tmp_path / "nowhere"), *args)
        assert res.returncode != 0
        assert "Traceback" in res.stderr and "SettingsError" in res.stderr, args


def test_rebuild_refuses_before_moving_anything(tmp_path):
    shutil.copytree(FIXTURE_LANDING, tmp_path / "landing")
    (tmp_path / "warehouse.duckdb").write_bytes(b"previous warehouse")
    line = one_line_error(hoso(hoso_env(tmp_path, key=None), "rebuild"))
    assert "HOSO_PII_KEY" in line
    assert (tmp_path / "warehouse.duckdb").read_bytes() == b"previous warehouse"
    assert not list(tmp_path.glob("*.before-rebuild"))


def test_sample_writes_a_world_with_its_progress(tmp_path):
    res = hoso(hoso_env(tmp_path), "sample", "--scale", "0.001", "--out", str(tmp_path / "world"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "world" / "manifest.json").is_file() and list((tmp_path / "world" / "portal").glob("hoso-*.json"))
    assert "wrote " in res.stdout and res.stderr.strip()  # the generator's progress lines go to stderr


def test_help_lists_the_commands(tmp_path):
    res = hoso(hoso_env(tmp_path), "--help")
    assert res.returncode == 0
    for cmd in ("sample", "run", "rebuild", "demo", "report"):
        assert cmd in res.stdout


# ---------------------------------------------------------------- rebuild: the previous warehouse is never lost


def _settings(tmp: Path) -> Settings:
    return Settings(landing_dir=tmp / "landing", warehouse_db=tmp / "warehouse.duckdb",
                    analytics_db=tmp / "analytics.duckdb", dagster_home=tmp / "dagster_home", docs_dir=tmp / "docs")


def _previous_warehouse(tmp: Path) -> Settings:
    settings = _settings(tmp)
    shutil.copytree(FIXTURE_LANDING, settings.landing_dir)
    settings.warehouse_db.write_bytes(b"previous warehouse")
    Path(str(settings.warehouse_db) + ".wal").write_bytes(b"previous wal")
    (tmp / "staging" / "2025-07-01").mkdir(parents=True)
    (tmp / "staging" / "2025-07-01" / "left-over").write_text("x")
    return settings


@pytest.mark.parametrize("outcome", ["fails", "raises", "interrupted"])
def test_failed_rebuild_puts_the_previous_warehouse_back(tmp_path, monkeypatch, outcome):
    import cli.rebuild as rebuild_module

    settings = _previous_warehouse(tmp_path)
    seen = {}

    def fake_run(s, **kw):
        # the rebuild starts from an empty warehouse and an empty staging area
        seen["empty"] = not s.warehouse_db.exists() and not (tmp_path / "staging").exists()
        seen["command"] = kw.get("command")
        s.warehouse_db.write_bytes(b"half-built")
        if outcome == "raises":
            raise RuntimeError("boom")
        if outcome == "interrupted":
            raise KeyboardInterrupt
        return False

    monkeypatch.setattr(rebuild_module, "run_pipeline", fake_run)
    monkeypatch.setenv("HOSO_PII_KEY", KEY)
    if outcome == "fails":
        assert rebuild_module.rebuild(settings, quiet=True) is False
    else:
        with pytest.raises((RuntimeError, KeyboardInterrupt)):
            rebuild_module.rebuild(settings, quiet=True)
    assert seen == {"empty": True, "command": "rebuild"}
    assert settings.warehouse_db.read_bytes() == b"previous warehouse"
    assert Path(str(settings.warehouse_db) + ".wal").read_bytes() == b"previous wal"
    assert (tmp_path / "staging" / "2025-07-01" / "left-over").is_file()
    assert Path(str(settings.warehouse_db) + ".failed-rebuild").read_bytes() == b"half-built"
    assert not list(tmp_path.glob("*.before-rebuild"))


def test_successful_rebuild_keeps_the_previous_warehouse_aside(tmp_path, monkeypatch):
    import cli.rebuild as rebuild_module

    settings = _previous_warehouse(tmp_path)

    def fake_run(s, **kw):
        s.warehouse_db.write_bytes(b"rebuilt")
        return True

    monkeypatch.setattr(rebuild_module, "run_pipeline", fake_run)
    monkeypatch.setenv("HOSO_PII_KEY", KEY)
    assert rebuild_module.rebuild(settings, quiet=True) is True
    assert settings.warehouse_db.read_bytes() == b"rebuilt"
    assert Path(str(settings.warehouse_db) + ".before-rebuild").read_bytes() == b"previous warehouse"
    assert Path(str(settings.warehouse_db) + ".wal.before-rebuild").read_bytes() == b"previous wal"


def test_files_tag_is_short():
    from pipelines.tags import files_tag

    assert files_tag([]) == "0"
    assert files_tag(["a.json"]) == "1: a.json"
    names = [f"portal/hoso-202507{d:02d}-01.json" for d in range(1, 31)]
    tag = files_tag(names)
    assert tag.startswith("30: portal/hoso-20250701-01.json, ") and tag.endswith("+27 more") and len(tag) <= 200


def test_sensor_run_requests_name_their_files():
    from pipelines.sensors import files_by_partition, run_tags

    previous = {"portal/hoso-20250701-01.json": [1, 10]}
    cursor = {"portal/hoso-20250701-01.json": [1, 10], "portal/hoso-20250702-01.json": [2, 10],
              "portal/xuly-20250702-01.json": [2, 10], "reference/units.csv": [3, 5], "manifest.json": [4, 1]}
    files = files_by_partition(previous, cursor, "2026-11-26")
    assert files == {"2025-07-02": ["portal/hoso-20250702-01.json", "portal/xuly-20250702-01.json"],
                     "2026-11-26": ["reference/units.csv"]}
    tags = run_tags("2025-07-02", files["2025-07-02"])
    assert tags["hoso/files"] == "2: portal/hoso-20250702-01.json, portal/xuly-20250702-01.json"
    assert tags["hoso/days"] == "2025-07-02" and tags["hoso/trigger"] == "landing_sensor"


# ---------------------------------------------------------------- a real run: progress, tags, a reader on the snapshot


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory) -> Path:
    from samples.generate import generate_world

    out = tmp_path_factory.mktemp("tiny") / "landing"
    generate_world(out, scale=0.002)
    return out


@pytest.mark.slow
def test_blocking_check_stops_the_run_with_one_line_each(tmp_path):
    """A batch of the source fixtures with 30 more records naming a unit nobody knows (over 5 % and over the floor of
    20 records quarantined): the blocking check stops the marts, naming the file and the reason."""
    import json

    shutil.copytree(FIXTURE_LANDING, tmp_path / "landing")
    batch = tmp_path / "landing" / "portal" / "hoso-20250702-01.json"
    rows = json.loads(batch.read_text(encoding="utf-8"))
    rows += [{**rows[0], "MaHoSo": f"{rows[0]['MaHoSo']}X{n:02d}", "DonViXuLy": "UBND Huyện Không Có"}
             for n in range(30)]
    batch.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    res = hoso(hoso_env(tmp_path), "--quiet", "run")
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert any("check quarantined_share of staging/validated_exports failed (blocking): 1 file blocked" in line
               and "portal/hoso-20250702-01.json (3" in line and "top reasons: unknown_unit 3" in line
               for line in lines), res.stderr
    assert any("staging/validated_exports FAILED: " in line for line in lines), res.stderr
    assert "Traceback" not in res.stderr and len(lines) <= 3
    assert not (tmp_path / "analytics.duckdb").exists()


@pytest.mark.slow
def test_run_shows_progress_tags_and_ignores_snapshot_readers(tmp_path, tiny_world):
    shutil.copytree(tiny_world, tmp_path / "landing")
    env = hoso_env(tmp_path)
    # While a run executes, Dagster copies what is written to stderr to the terminal with `tail -F`, stopped at the
    # run's end, under load before it has copied the last lines: a `tail` that copies nothing here, so the progress
    # has to reach the terminal on its own (it once lost the last step's lines).
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "tail").write_text("#!/bin/sh\nexec sleep 3600\n")
    (fake / "tail").chmod(0o755)
    res = hoso(env | {"PATH": f"{fake}:{env['PATH']}"}, "run")
    assert res.returncode == 0, res.stderr
    err = res.stderr
    # stage by stage, as it happens, in run order, with the stage's figures; Dagster's own log stays out
    for step in ("staging/extracted_exports", "reference", "staging/validated_exports", "load", "marts",
                 "analytics/snapshot", "analytics/report"):
        assert f"] {step} ..." in err and f"] {step} done in " in err, (step, err)
    assert (err.index("] load done") < err.index("] marts ...") < err.index("] analytics/snapshot done")
            < err.index("] analytics/report done"))
    assert "rows_loaded=" in err and "province_wide.online_ratio_pct=" in err
    assert "run succeeded in " in err
    assert "DEBUG" not in err and "STEP_SUCCESS" not in err and "Traceback" not in err
    assert "Online submission" in res.stdout

    # the run's tags say which files and days it covered; the load's metadata lists the files it loaded
    from dagster import AssetKey, DagsterInstance

    os.environ["DAGSTER_HOME"], old = env["DAGSTER_HOME"], os.environ.get("DAGSTER_HOME")
    try:
        with DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            assert run.tags["hoso/command"] == "run"
            dated = sum(len(v) for v in landing_days(tmp_path / "landing").values())
            assert run.tags["hoso/files"].startswith(f"{dated}: portal/hoso-20250701-01.json")
            assert run.tags["hoso/days"].startswith("2025-07-01..2025-08-06")
            files = instance.get_latest_materialization_event(AssetKey(["meta", "files"])).asset_materialization
            assert "portal/hoso-20250702-01.json (loaded)" in files.metadata["loaded_files"].value
            loads = instance.get_latest_materialization_event(AssetKey(["meta", "loads"])).asset_materialization
            assert isinstance(loads.metadata["rows_loaded"].value, int)
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = old

    # an analyst holding the snapshot open (read-only) does not stop the next run
    reader = duckdb.connect(str(tmp_path / "analytics.duckdb"), read_only=True)
    try:
        before = reader.execute("SELECT count(*) FROM marts.online_ratio_by_level").fetchone()
        res2 = hoso(env, "--quiet", "run", "--force")
        assert res2.returncode == 0, res2.stderr
        assert res2.stderr == ""
        assert reader.execute("SELECT count(*) FROM marts.online_ratio_by_level").fetchone() == before
    finally:
        reader.close()
    assert hoso(env, "report").returncode == 0

    # Nothing new: decided before Dagster starts; no load, no Dagster run, the headline as it is.
    def loads() -> int:
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
            return con.execute("SELECT count(*) FROM meta.loads").fetchone()[0]

    before = loads()
    os.utime(next((tmp_path / "landing" / "portal").iterdir()))  # touched, same bytes: still nothing new
    res3 = hoso(env, "run")
    assert res3.returncode == 0, res3.stderr
    assert res3.stderr.startswith("nothing new: the ") and "run succeeded" not in res3.stderr
    assert "Online submission" in res3.stdout and loads() == before
    assert hoso(env, "--quiet", "run").stderr == ""
    settings = _settings(tmp_path)
    from cli.freshness import nothing_new

    assert nothing_new(settings, "A") is not None
    assert nothing_new(settings, "B") is None  # the snapshot was built with definition A
    (tmp_path / "landing" / "notes.txt").write_text("a file nobody recorded yet")
    assert nothing_new(settings, "A") is None


@pytest.mark.slow
def test_rebuild_end_to_end_and_failed_rebuild_restores(tmp_path, tiny_world):
    shutil.copytree(tiny_world, tmp_path / "landing")
    env = hoso_env(tmp_path)
    assert hoso(env, "--quiet", "run").returncode == 0
    wh = tmp_path / "warehouse.duckdb"
    res = hoso(env, "rebuild")
    assert res.returncode == 0, res.stderr
    assert "rebuild succeeded" in res.stderr and ".before-rebuild" in res.stderr
    assert Path(str(wh) + ".before-rebuild").is_file()
    q = "SELECT DISTINCT load_id FROM meta.files WHERE relpath LIKE 'portal/%'"
    new, old = (duckdb.connect(str(p), read_only=True) for p in (wh, Path(str(wh) + ".before-rebuild")))
    try:  # rebuilt from empty: the portal files were loaded again, by the rebuild's own load
        assert len(new.execute(q).fetchall()) == 1 and new.execute(q).fetchall() != old.execute(q).fetchall()
    finally:
        new.close()
        old.close()
    # A rebuild whose publish stage fails (the snapshot's folder is a file) changes nothing.
    before = _sha(wh)
    (tmp_path / "blocked").write_text("not a folder")
    bad = env | {"HOSO_ANALYTICS_DB": str(tmp_path / "blocked" / "analytics.duckdb")}
    res = hoso(bad, "rebuild")
    assert res.returncode == 1
    assert "analytics/snapshot FAILED" in res.stderr and "rebuild failed: the previous warehouse is back" in res.stderr
    assert "Traceback" not in res.stderr
    assert _sha(wh) == before
    assert Path(str(wh) + ".failed-rebuild").is_file()


def test_headline_of_a_snapshot_in_vietnamese(tmp_path):
    """`hoso report`'s headline: the levels under the marts' (and the report's) labels, numbers as Vietnamese readers
    write them, the window in Vietnam local time, the reconciliation's findings in Vietnamese."""
    import snapshot_world as w
    from cli.report import headline

    text = headline(w.build_snapshot(tmp_path / "world"))
    lines = text.splitlines()
    assert lines[0].startswith("Tỷ lệ nộp hồ sơ trực tuyến / Online submission, 01/07/2025 00:00 – 06/08/2025 16:00 "
                               "(giờ Việt Nam")
    assert "A: trực tuyến / tổng số tiếp nhận | online / all received" in lines[1]
    rows = [line.split() for line in lines if line.startswith(("Toàn tỉnh", "Cấp tỉnh", "Cấp xã"))]
    assert [" ".join(r[:-6]) for r in rows] == ["Toàn tỉnh (sở, ngành và cấp xã)", "Cấp tỉnh (sở, ngành)", "Cấp xã"]
    assert [r[-6:-3] for r in rows] == [["77", "57", "74,03%"], ["38", "29", "76,32%"], ["39", "28", "71,79%"]]
    assert "20/34 (▲5)" in text and "16/22 số liệu khớp" in text
    assert ("P4_ratio \"Cấp xã: tỷ lệ trực tuyến\" = 96,55%: không khớp với nhãn: tính lại từ hồ sơ được 71,79% "
            "(trực tuyến / tiếp nhận, cấp xã = 28 / 39); số công bố 96,55% là trực tuyến cấp xã / trực tuyến cấp "
            "tỉnh (sở, ngành) = 28 / 29") in text
    assert "P9_lookups \"lượt tra cứu kho dữ liệu điện tử\" = 1.128.038: không tính lại được" in text
