"""Issue 15, class 6: paths are data, never patterns. A whole run (reference, extract, validate, load, marts,
publish) with the landing folder under a folder named `land[1]*?` and the warehouse, the staging area, the docs and
the Dagster home under `work[1]*`, beside decoy folders that these names match as patterns (`land1ab`, `work1ab`,
each with a loaded world of its own: a path used as a pattern would read the decoy's files, or none). The run must
load exactly what a run in plain folders loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from cli.run import run_pipeline
from assets.settings import Settings
from test_file_changes import tiny_landing

DAYS = ["2025-07-03", "2025-07-04"]


def run_in(root: Path, world: Path, landing_parent: Path | None = None) -> Settings:
    landing = tiny_landing(world, (landing_parent or root) / "landing", DAYS)
    for name in ("provincial", "tasks"):  # a provincial export of each format and the task exports, if any
        for p in sorted((world / name).glob("*20250806*"))[:2]:
            (landing / name).mkdir(exist_ok=True)
            shutil.copy2(p, landing / name / p.name)
    settings = Settings(landing_dir=landing, warehouse_db=root / "warehouse.duckdb",
                        analytics_db=root / "analytics.duckdb", dagster_home=root / "dagster_home",
                        docs_dir=root / "docs")  # fmt: skip
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)
    return settings


def contents(settings: Settings) -> dict:
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    try:
        return {
            "files": con.execute("SELECT relpath, outcome, reason, records_read, records_loaded, records_quarantined "
                                 "FROM meta.files ORDER BY relpath").fetchall(),
            "dossiers": con.execute("SELECT count(*), count(DISTINCT dossier_code) FROM core.dossiers").fetchall(),
            "observations": con.execute("SELECT source_file, count(*) FROM core.dossier_observations "
                                        "GROUP BY ALL ORDER BY ALL").fetchall(),
            "steps": con.execute("SELECT count(*) FROM core.processing_steps").fetchall(),
            "validations": con.execute("SELECT count(*) FROM meta.validations").fetchall(),
        }
    finally:
        con.close()


@pytest.mark.slow
def test_a_run_under_folder_names_with_glob_characters(small_world_dir: Path, tmp_path: Path) -> None:
    # The warehouse's own folder has no '?': DuckDB reads a '?' in a database path as the start of URL parameters
    # (it looks for the WAL at "work[1]*.wal?/warehouse.duckdb"), a limit of DuckDB, not of this pipeline.
    odd_landing, odd_work = tmp_path / "land[1]*?", tmp_path / "work[1]*"
    # What the names match as patterns: the same files, emptied (a pattern read would load nothing of them), and a
    # loaded world of its own beside the warehouse.
    decoy = tiny_landing(small_world_dir, tmp_path / "land1ab" / "landing", DAYS)
    for path in decoy.rglob("*.json"):
        path.write_text("[]\n")
    for path in decoy.rglob("*.csv"):
        path.write_text(path.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8-sig")
    run_in(tmp_path / "work1ab", small_world_dir)
    odd_settings = run_in(odd_work, small_world_dir, landing_parent=odd_landing)
    plain_settings = run_in(tmp_path / "plain", small_world_dir)
    got, expected = contents(odd_settings), contents(plain_settings)
    assert got == expected
    assert all(outcome == "loaded" for _, outcome, *_ in got["files"]), got["files"]
    assert got["dossiers"][0][0] > 0 and got["steps"][0][0] > 0
    with duckdb.connect(str(odd_settings.analytics_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_case_files").fetchone()[0] == got["dossiers"][0][0]
    assert (odd_settings.docs_dir / "report.html").is_file()
