"""The benchmark harness (bench/) on a tiny world, so that it cannot rot: one command, every row in the results file,
sane numbers. Timings are not asserted (the goals are reported by `python -m bench`, not tested).

The peer (dlt) needs its own venv, created by the harness with pip (~15 s with the package index reachable). Set
HOSO_BENCH_NO_PEER=1 to skip it (e.g. offline); the harness then records the peer row as skipped with the reason,
and so it does when pip cannot install dlt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import ensure_free_disk
from bench.lake import split_by_day

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench_result(tmp_path_factory) -> tuple[dict, str]:
    work = tmp_path_factory.mktemp("bench")
    data_dir = Path(os.environ.get("HOSO_BENCH_DATA_DIR") or work / "data")
    out = work / "results" / "tiny"
    cmd = [sys.executable, "-m", "bench", "--sizes", "0.01", "--runs", "1", "--data-dir", str(data_dir),
           "--out", str(out)]
    if os.environ.get("HOSO_BENCH_NO_PEER"):
        cmd.append("--no-peer")
    proc = subprocess.run(cmd, cwd=CHECKOUT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(Path(f"{out}.json").read_text(encoding="utf-8"))
    md = Path(f"{out}.md").read_text(encoding="utf-8")
    return result, md


@pytest.mark.slow
def test_every_row_is_measured(bench_result):
    result, _ = bench_result
    rows = {r["measure"]: r for r in result["rows"]}
    for kind in ("floor", "pipeline", "pipeline_base", "increment", "noop", "floor_increment"):
        assert kind in rows, f"missing row {kind}"
        r = rows[kind]
        assert r["runs"] == 1 and r["wall_median"] > 0, r
        assert r["peak_rss_mb"] is None or 10 < r["peak_rss_mb"] < 16_000, r
    peer = rows["peer"]
    if "skipped" in peer:
        assert peer["skipped"], "a skipped peer says why"
    else:
        for kind in ("peer", "peer_base", "peer_increment", "peer_noop"):
            assert rows[kind]["wall_median"] > 0
        assert rows["pipeline"]["ratio_to_peer"] > 0
    assert rows["pipeline"]["ratio_to_floor"] > 0


@pytest.mark.slow
def test_the_contenders_read_the_same_records(bench_result):
    result, _ = bench_result
    world = result["worlds"][0]
    rows = {r["measure"]: r for r in result["rows"]}
    assert rows["pipeline"]["records"] == rows["floor"]["records"] == world["records"] > 0
    assert rows["increment"]["records"] == world["increment_records"] > 0
    assert rows["noop"]["records"] == 0
    # What each contender says it read: the floor skips the XLSX exports, the pipeline counts what it parsed.
    floor_rows = rows["floor"]["detail"][0]["rows"]
    pipeline_rows = rows["pipeline"]["detail"][0]["rows"]
    assert 0.9 * world["records"] < floor_rows
    assert 0.9 * world["records"] < pipeline_rows <= world["records"]
    # Every stage of the pipeline has a timing, and the stages fit in the wall time.
    stages = rows["pipeline"]["stages_median"]
    assert set(stages) == {"reference", "staging__extracted_exports", "staging__validated_exports", "load", "marts",
                           "analytics__snapshot", "analytics__report"}
    assert 0 < sum(s["wall"] for s in stages.values()) <= rows["pipeline"]["wall_median"]
    # The re-run of the same files stops before Dagster starts: nothing new, no run, no load.
    noop = rows["noop"]["detail"][0]
    assert (noop["status"], noop["loads"], noop["stages"]) == ("nothing new", [], {})


@pytest.mark.slow
def test_results_file_names_the_machine_and_versions(bench_result):
    result, md = bench_result
    assert result["machine"]["nproc"] >= 1 and result["machine"]["memory_gb"] > 0
    assert result["versions"]["duckdb"] and result["versions"]["dagster"]
    assert result["date"] in md and "| tiny" not in md  # a numeric size is named scale-0.01
    assert "| scale-0.01 | pipeline |" in md and "| scale-0.01 | noop |" in md


def test_lake_workers_share_the_days_and_each_has_the_undated_files(tmp_path):
    """bench/lake.py's split for N workers: every dated file in exactly one worker's folder (whole days, round
    robin) by the pipeline's own reading of the name (a unit code of eight digits is not the date), the undated ones
    (reference, the national snapshot, the manifest) in every folder, the same bytes (hard links)."""
    world = tmp_path / "world"
    names = ["reference/units.csv", "tasks/xep-hang-tinh.csv", "portal/hoso-20250701-01.json",
             "portal/hoso-20250701-02.json", "portal/xuly-20250702-01.json", "provincial/16738-hoso-20250703.csv",
             "tasks/nq57-xa-20250704.csv", "provincial/20250630-hoso-20250705.csv", "manifest.json"]
    for name in names:
        (world / name).parent.mkdir(parents=True, exist_ok=True)
        (world / name).write_text(name)
    folders = split_by_day(world, names, tmp_path / "split", 2)
    held = [sorted(p.relative_to(f).as_posix() for p in f.rglob("*") if p.is_file()) for f in folders]
    undated = ["reference/units.csv", "tasks/xep-hang-tinh.csv", "manifest.json"]
    assert held[0] == sorted(undated + ["portal/hoso-20250701-01.json", "portal/hoso-20250701-02.json",
                                        "provincial/16738-hoso-20250703.csv", "provincial/20250630-hoso-20250705.csv"])
    assert held[1] == sorted(undated + ["portal/xuly-20250702-01.json", "tasks/nq57-xa-20250704.csv"])
    assert (folders[1] / "tasks/nq57-xa-20250704.csv").stat().st_ino == (world / "tasks/nq57-xa-20250704.csv").stat().st_ino


def test_a_run_that_would_not_fit_on_the_disk_is_refused_before_it_starts(tmp_path):
    """The bench refuses work the disk cannot hold (at 10M it failed after 20 minutes with "No space left"), saying
    what needed how much and how much there is."""
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(SystemExit) as refused:
        ensure_free_disk(tmp_path, free + 1e12, "[10m] the run on 58,260,605 records")
    message = str(refused.value)
    assert message.startswith("bench: [10m] the run on 58,260,605 records needs ~")
    assert f"{(free + 1e12) / 1e9:.1f} GB free; {tmp_path} has " in message
    ensure_free_disk(tmp_path, free / 2, "what fits")  # room enough: nothing said, nothing raised
