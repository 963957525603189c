"""Lake mode in the benchmark (`python -m bench --lake`), on the same world as the other contenders:

- `pipeline_duckdb15`: the embedded default run in the lake environment (.venv-lake: DuckDB 1.5.5, what the
  extension wheels need), beside `pipeline` on DuckDB 2.0.1: the price of the pin, had it been taken everywhere;
- `lake_1`, `lake_2`, `lake_4`: the world loaded into a new DuckLake (catalog in a throw-away PostgreSQL started
  here, tests/services.py; data in a scratch folder) by 1, 2 and 4 worker processes at once, each `hoso run` on its
  own landing folder holding every N-th day of the world (hard links) and the undated files, its own session file
  and staging area, as on separate machines. Wall = first start to last end; peak RSS = the largest worker's.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import (CHECKOUT, TIME, RunFailed, file_day, link_files, pipeline_env, run_pipeline, say,
                           summarise)
from tests.services import new_database, running_postgres

LAKE_PY = CHECKOUT / ".venv-lake" / "bin" / "python"
WORKERS = (1, 2, 4)
LAKE_MEASURES = ("pipeline_duckdb15", *(f"lake_{n}" for n in WORKERS))


def ensure_lake_env() -> None:
    """.venv-lake made or refreshed from requirements-lake.lock (./dev does it, as for `./dev lake`)."""
    res = subprocess.run([str(CHECKOUT / "dev"), "lake", "--help"], cwd=CHECKOUT, capture_output=True, text=True)
    if res.returncode != 0 or not LAKE_PY.exists():
        raise RunFailed(f"the lake environment could not be made: {res.stderr[-1000:]}")


def split_by_day(world: Path, relpaths: list[str], out: Path, n: int) -> list[Path]:
    """n landing folders of the files `relpaths` of `world`: day i's files in folder i mod n, the undated files
    (reference tables, the national snapshot, the manifest) in every folder, as each worker's feed would carry them."""
    day_of = {p: file_day(p) for p in relpaths}
    folder_of_day = {d: i % n for i, d in enumerate(sorted({d for d in day_of.values() if d}))}
    folders = [out / f"landing-{i}" for i in range(n)]
    for i, folder in enumerate(folders):
        link_files(world, folder, [p for p, d in day_of.items() if d is None or folder_of_day[d] == i])
    return folders


def run_workers(landings: list[Path], scratch: Path, catalog: str) -> dict:
    """`hoso run` of every landing folder at once into the lake `catalog`, in the lake environment. When one fails,
    the others are stopped (a half-measured run is no measure) and its stderr's end is the error."""
    procs = []
    t0 = time.perf_counter()
    try:
        for i, landing in enumerate(landings):
            home = scratch / f"worker-{i}"
            env = pipeline_env(landing, home) | {"HOSO_LAKE": catalog, "HOSO_LAKE_DATA": f"{scratch / 'lake-data'}/"}
            tfile = Path(tempfile.mkstemp(suffix=".time")[1])
            err = (scratch / f"worker-{i}.err").open("w+")
            procs.append((subprocess.Popen([TIME, "-f", "%M %e", "-o", str(tfile), str(LAKE_PY), "-m", "cli",
                                            "--quiet", "run"], cwd=CHECKOUT, env=env, stdout=subprocess.DEVNULL,
                                           stderr=err), tfile, err))
        rss = []
        for proc, tfile, err in procs:
            code = proc.wait()
            if code != 0:
                err.seek(0)
                raise RunFailed(f"a lake worker exited {code}: {err.read()[-1500:]}")
            rss.append(float(tfile.read_text().split()[-2]) / 1024)
    finally:
        for proc, tfile, err in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()
            tfile.unlink(missing_ok=True)
    return {"wall": round(time.perf_counter() - t0, 3), "rss_mb": round(max(rss), 1), "workers": len(landings)}


def bench_lake(name: str, world: Path, manifest: dict, records: int, scratch: Path, runs: int) -> list[dict]:
    """The rows pipeline_duckdb15, lake_1, lake_2, lake_4 of one world (runs each, the median reported)."""
    ensure_lake_env()
    results: dict[str, list[dict]] = {m: [] for m in LAKE_MEASURES}
    with running_postgres() as url:
        for i in range(runs):
            say(f"[{name}] run {i + 1}/{runs}: the embedded pipeline on DuckDB 1.5.5 (lake environment)")
            home = scratch / f"duckdb15-{i}"
            results["pipeline_duckdb15"].append(run_pipeline(world, home, python=LAKE_PY))
            for n in WORKERS:
                say(f"[{name}] run {i + 1}/{runs}: lake, {n} worker(s)")
                work = scratch / f"lake-{n}-{i}"
                landings = split_by_day(world, [f["path"] for f in manifest["files"]], work, n)
                results[f"lake_{n}"].append(run_workers(landings, work, "ducklake:postgres:" + new_database(url)))
                say(f"[{name}]   lake, {n} worker(s): {results[f'lake_{n}'][-1]['wall']:.1f} s")
    return [summarise(name, m, records, r) for m, r in results.items() if r]


def lake_lines(rows: list[dict]) -> list[str]:
    """What the lake rows say, per size: the pin's price and the workers' speed-up."""
    by = {(r["size"], r["measure"]): r for r in rows if "wall_median" in r}
    out = []
    for size in dict.fromkeys(r["size"] for r in rows):
        embedded = by.get((size, "pipeline"))
        pinned = by.get((size, "pipeline_duckdb15"))
        if embedded and pinned:
            out.append(f"{size}: the embedded pipeline on DuckDB 1.5.5 {pinned['wall_median']:.1f} s against "
                       f"{embedded['wall_median']:.1f} s on 2.0.1 (x{pinned['wall_median'] / embedded['wall_median']:.2f})")
        one = by.get((size, "lake_1"))
        for n in WORKERS:
            lake = by.get((size, f"lake_{n}"))
            if lake and one:
                vs = f", x{lake['wall_median'] / embedded['wall_median']:.2f} the embedded run" if embedded else ""
                out.append(f"{size}: lake with {n} worker(s) {lake['wall_median']:.1f} s (speed-up over one worker "
                           f"x{one['wall_median'] / lake['wall_median']:.2f}{vs})")
    return out
