"""The benchmark's measures, run by `python -m bench` (bench/__main__.py): floor, peer and pipeline on the same
generated files, with increment and no-op re-run.

See bench/README.md for what is measured and how. Every measured thing is a subprocess run under
`/usr/bin/time` (its max RSS is the peak memory), timed here by wall clock around the subprocess, so interpreter
start-up and imports count for every contender alike.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sources.discover import classify

CHECKOUT = Path(__file__).resolve().parents[1]
PROJECT_PY = Path(sys.executable)  # the harness runs in the project's environment
HOSO = [str(PROJECT_PY), "-m", "cli"]
TIME = "/usr/bin/time"
DLT_VERSION = "1.31.0"  # resolves with duckdb 2.0.1 (pip, 2026-11): the peer venv holds both, pinned
PEER_DUCKDB = "2.0.1"
PEER_PYARROW = "26.0.1"  # the project's pin; dlt writes Parquet load files with it
BENCH_KEY = "hoso-bench-key-not-a-secret-0123456789"

# name -> the world `hoso sample` generates for it: (scale, synthetic provinces besides the home one, gzipped).
# scale 1 = the sample world, one province, 310k dossiers; 3.22 ≈ 1M; 10m = the national world, all 34 provinces at
# scale 1 (≈10.5M dossiers), gzipped as transfers deliver it (plain it would be ~55 GB).
SIZES = {"tiny": (0.01, 0, False), "sample": (1.0, 0, False), "1m": (3.22, 0, False), "10m": (1.0, 33, True)}
GB_PER_SCALE = 1.6  # plain landing folder size per unit of scale and province (scale 1 = 1.6 GB, 3.22 = 4.9 GB)
GZIP_SHARE = 0.12  # gzipped / plain size of the exports (national world at scale 0.1: 534 MB)
# Disk a size's measures take at their peak, per landing record, besides the world's files: the warehouse, the
# staged Parquet, the floor's tables and DuckDB's spill (the 10M world's run: 38.5 GB for 58.3M records, 2026-12-05;
# about 40 GB for the 56.3M records of its load without the last day, 2026-12-06).
RUN_BYTES_PER_RECORD = 700
STAGES = ["reference", "staging__extracted_exports", "staging__validated_exports", "load", "marts",
          "analytics__snapshot", "analytics__report"]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------- subprocesses

class RunFailed(RuntimeError):
    pass


def timed(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, timeout: float | None = None,
          label: str = "") -> dict:
    """Run cmd under /usr/bin/time; return wall seconds, max RSS (MB), stdout, stderr tail."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    full = [TIME, "-f", "%M %e", "-o", tpath, *cmd] if Path(TIME).exists() else cmd
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(full, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise RunFailed(f"{label or cmd[0]}: timed out after {timeout} s") from exc
    wall = time.perf_counter() - t0
    rss = None
    try:
        last = Path(tpath).read_text().strip().splitlines()[-1].split()
        rss = int(last[0]) / 1024.0
    except (OSError, IndexError, ValueError):
        pass
    finally:
        Path(tpath).unlink(missing_ok=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        raise RunFailed(f"{label or cmd[0]} exited with {proc.returncode}:\n{tail}")
    return {"wall": round(wall, 3), "rss_mb": round(rss, 1) if rss is not None else None,
            "stdout": proc.stdout, "stderr": proc.stderr}


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


# ---------------------------------------------------------------------------------------------------- worlds

def parse_sizes(text: str) -> list[tuple[str, tuple[float, int, bool]]]:
    out = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        if item in SIZES:
            out.append((item, SIZES[item]))
        else:
            try:
                out.append((f"scale-{float(item):g}", (float(item), 0, False)))
            except ValueError:
                raise SystemExit(f"bench: unknown size {item!r}: use {', '.join(SIZES)} or a scale such as 0.05")
    return out


def ensure_free_disk(path: Path, need: float, what: str) -> None:
    """Refuse, before it starts, work that would run out of disk in the middle (at 10M, after half an hour)."""
    free = shutil.disk_usage(path).free
    if free < need:
        raise SystemExit(f"bench: {what} needs ~{need / 1e9:.1f} GB free; {path} has {free / 1e9:.1f} GB")


def world_dir(data_dir: Path, world: tuple[float, int, bool]) -> Path:
    scale, provinces, gz = world
    return data_dir / "worlds" / (f"scale-{scale:g}" + (f"-provinces-{provinces + 1}" if provinces else "")
                                  + ("-gz" if gz else ""))


def ensure_world(data_dir: Path, world: tuple[float, int, bool]) -> tuple[Path, dict, float | None]:
    """The generated landing folder of this world (generated once, cached by scale, provinces and compression); its
    manifest; the seconds the generation took (None when cached)."""
    scale, provinces, gz = world
    out = world_dir(data_dir, world)
    if (out / "manifest.json").is_file():
        return out, json.loads((out / "manifest.json").read_text()), None
    files = GB_PER_SCALE * scale * (1 + provinces) * (GZIP_SHARE if gz else 1) * 1.1 * 1e9
    ensure_free_disk(data_dir, files * 1.5, f"generating the world at scale {scale:g} (its files, ~{files / 1e9:.1f} "
                     "GB, and room to start loading them)")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    say(f"generating the world at scale {scale:g} ({provinces + 1} provinces) into {out} ...")
    r = timed([*HOSO, "--quiet", "sample", "--scale", str(scale), "--provinces", str(provinces), "--out", str(tmp)]
              + (["--gzip"] if gz else []), cwd=CHECKOUT, label="hoso sample")
    tmp.rename(out)
    return out, json.loads((out / "manifest.json").read_text()), r["wall"]


def file_day(relpath: str) -> str | None:
    """YYYYMMDD of the day a file's name carries, by the pipeline's own rule (sources/discover.py classify); None for
    the undated files (reference tables, the national snapshot, the manifest)."""
    day = classify(relpath)[3]
    return day.strftime("%Y%m%d") if day else None


def split_world(manifest: dict) -> tuple[str, list[str], list[str]]:
    """(last day, files of the world without the last day, files of the last day): files without a date (reference,
    the national snapshot) belong to the base."""
    days = sorted({d for f in manifest["files"] if (d := file_day(f["path"]))})
    last = days[-1]
    base = [f["path"] for f in manifest["files"] if file_day(f["path"]) != last]
    inc = [f["path"] for f in manifest["files"] if file_day(f["path"]) == last]
    return last, base, inc


def link_files(src: Path, dst: Path, relpaths: list[str]) -> None:
    """Hard links (same bytes, no copy): the pipeline follows no symbolic link that leaves its landing folder."""
    for rel in relpaths:
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src / rel, target)
        except OSError:
            shutil.copy2(src / rel, target)


def records_of(manifest: dict, relpaths: list[str] | None = None) -> int:
    """Records of the export files (reference files excluded): the same denominator for every contender."""
    keep = set(relpaths) if relpaths is not None else None
    return sum(f["records"] for f in manifest["files"]
               if f["format"] != "reference_csv" and (keep is None or f["path"] in keep))


# ---------------------------------------------------------------------------------------------------- contenders

def run_floor(landing: Path, work: Path, day: str | None = None) -> dict:
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    cmd = [str(PROJECT_PY), "-m", "bench.floor", str(landing), "--db", str(db)] + (["--day", day] if day else [])
    r = timed(cmd, cwd=CHECKOUT, label="floor")
    out = last_json(r["stdout"])
    db.unlink(missing_ok=True)
    return {"wall": r["wall"], "rss_mb": r["rss_mb"], "inner_seconds": out["seconds"], "rows": out["records"],
            "tables": out["tables"]}


def ensure_peer_venv(venv: Path) -> tuple[Path | None, str]:
    """The dlt venv (created once): python3 -m venv + pip install dlt[duckdb]==DLT_VERSION duckdb==PEER_DUCKDB."""
    py = venv / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import dlt, duckdb, pyarrow; print(dlt.__version__, duckdb.__version__)"],
                            capture_output=True, text=True)
        if ok.returncode == 0:
            return py, ok.stdout.strip()
        shutil.rmtree(venv, ignore_errors=True)
    base = shutil.which("python3") or sys.executable
    say(f"creating the peer's venv {venv} (dlt[duckdb]=={DLT_VERSION}, duckdb=={PEER_DUCKDB}) ...")
    try:
        subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        subprocess.run([str(py), "-m", "pip", "install", "-q", f"dlt[duckdb]=={DLT_VERSION}",
                        f"duckdb=={PEER_DUCKDB}", f"pyarrow=={PEER_PYARROW}"], check=True, capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"could not create the dlt venv: {str(detail).strip().splitlines()[-1] if detail else exc}"
    ok = subprocess.run([str(py), "-c", "import dlt, duckdb; print(dlt.__version__, duckdb.__version__)"],
                        capture_output=True, text=True)
    return (py, ok.stdout.strip()) if ok.returncode == 0 else (None, "dlt venv created but dlt does not import")


def run_peer(py: Path, landing: Path, state: Path) -> dict:
    """One dlt run over `landing`; `state` holds its DuckDB file and pipelines dir (kept between increment runs)."""
    state.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSO_", "DAGSTER_"))}
    env["RUNTIME__LOG_LEVEL"] = "WARNING"
    env["DLT_DATA_DIR"] = str(state / "dlt_data")
    cmd = [str(py), str(CHECKOUT / "bench" / "peer_dlt.py"), str(landing), "--db", str(state / "dlt_warehouse.duckdb"),
           "--pipelines-dir", str(state / "pipelines")]
    r = timed(cmd, env=env, cwd=state, label="peer (dlt)")
    out = last_json(r["stdout"])
    return {"wall": r["wall"], "rss_mb": r["rss_mb"], "inner_seconds": out["seconds"], "rows": out["records"],
            "tables": out["tables"], "versions": {"dlt": out["dlt"], "duckdb": out["duckdb"]}}


def pipeline_env(landing: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSO_", "DAGSTER_"))}
    env.update(HOSO_LANDING_DIR=str(landing), HOSO_WAREHOUSE_DB=str(home / "wh" / "warehouse.duckdb"),
               HOSO_ANALYTICS_DB=str(home / "analytics.duckdb"), DAGSTER_HOME=str(home / "dagster_home"),
               HOSO_DOCS_DIR=str(home / "docs"), HOSO_PII_KEY=BENCH_KEY, PYTHONWARNINGS="ignore")
    return env


def run_pipeline(landing: Path, home: Path, python: Path = PROJECT_PY) -> dict:
    """`hoso run` end to end in its own process (in the environment of `python`), then its stage timings from the
    Dagster event log."""
    env = pipeline_env(landing, home)
    r = timed([str(python), "-m", "cli", "run"], env=env, cwd=CHECKOUT, label="hoso run")
    if "nothing new:" in r["stderr"]:  # decided before Dagster started (cli/freshness.py): no run, no stages
        return {"wall": r["wall"], "rss_mb": r["rss_mb"], "inner_seconds": None, "rows": 0, "run_id": None,
                "status": "nothing new", "stages": {}, "startup_and_overhead": r["wall"], "loads": []}
    st = timed([str(python), "-m", "bench.stages", "--warehouse", env["HOSO_WAREHOUSE_DB"]], env=env,
               cwd=CHECKOUT, label="bench.stages")
    stages = last_json(st["stdout"])
    steps = stages.get("steps", {})
    loads = stages.get("loads", [])
    rows = loads[-1]["rows_read"] if loads else 0
    step_sum = sum(s.get("wall") or 0 for s in steps.values())
    return {"wall": r["wall"], "rss_mb": r["rss_mb"], "inner_seconds": stages.get("run_seconds"), "rows": rows,
            "run_id": stages.get("run_id"), "status": stages.get("status"),
            "stages": {k: steps[k] for k in STAGES if k in steps},
            "startup_and_overhead": round(r["wall"] - step_sum, 3), "loads": loads}


# ---------------------------------------------------------------------------------------------------- one size

def summarise(name: str, kind: str, records: int, runs: list[dict]) -> dict:
    walls = [r["wall"] for r in runs]
    med = statistics.median(walls)
    rss = [r["rss_mb"] for r in runs if r.get("rss_mb") is not None]
    row = {"size": name, "measure": kind, "records": records, "runs": len(runs),
           "wall_median": round(med, 3), "wall_min": round(min(walls), 3), "wall_max": round(max(walls), 3),
           "records_per_s": round(records / med, 1) if med else None,
           "peak_rss_mb": round(max(rss), 1) if rss else None, "detail": runs}
    if kind.startswith("pipeline") or kind in ("increment", "noop"):
        stage_runs = [r["stages"] for r in runs if r.get("stages")]
        if stage_runs:
            row["stages_median"] = {
                k: {"wall": round(statistics.median([s[k]["wall"] for s in stage_runs if k in s and s[k].get("wall")
                                                     is not None] or [0]), 3),
                    "seconds": _median_or_none([s[k].get("seconds") for s in stage_runs if k in s])}
                for k in STAGES}
            row["startup_and_overhead_median"] = round(statistics.median(r["startup_and_overhead"] for r in runs), 3)
    return row


def _median_or_none(values: list) -> float | None:
    vals = [v for v in values if v is not None]
    return round(statistics.median(vals), 3) if vals else None


def bench_size(name: str, spec: tuple[float, int, bool], args, peer_py: Path | None,
               peer_note: str, lake: Callable[..., list[dict]] | None = None) -> tuple[list[dict], dict]:
    """Every measure of one world; `lake` (bench/lake.py bench_lake, with --lake) adds the lake mode's rows."""
    data_dir = Path(args.data_dir)
    scale = spec[0]
    world, manifest, gen_s = ensure_world(data_dir, spec)
    n_dossiers = manifest.get("clean_universe", {})
    records = records_of(manifest)
    last_day, base_files, inc_files = split_world(manifest)
    info = {"size": name, "scale": scale, "provinces": spec[1] + 1, "gzip": spec[2], "world": str(world),
            "generation_seconds": gen_s,
            "landing_bytes": sum(p.stat().st_size for p in world.rglob("*") if p.is_file()),
            "files": len(manifest["files"]), "records": records, "increment_day": last_day,
            "increment_files": len(inc_files), "increment_records": records_of(manifest, inc_files),
            "dossiers_received": sum(v["all"]["received"] for v in n_dossiers.values()) if n_dossiers else None}
    say(f"[{name}] scale {scale:g}, {spec[1] + 1} province(s): {info['files']} files, {info['landing_bytes'] / 1e9:.2f} GB, {records:,} records")
    ensure_free_disk(data_dir, records * RUN_BYTES_PER_RECORD,
                     f"[{name}] the run on {records:,} records ({RUN_BYTES_PER_RECORD} bytes a record at its peak)")
    scratch = Path(tempfile.mkdtemp(prefix=f"run-{name}-", dir=data_dir))
    results: dict[str, list[dict]] = {"floor": [], "peer": [], "pipeline": []}
    lake_rows: list[dict] = []
    try:
        for i in range(0 if args.no_full else args.runs):
            say(f"[{name}] run {i + 1}/{args.runs}: floor")
            results["floor"].append(run_floor(world, scratch))
            if peer_py and i < args.peer_runs:
                say(f"[{name}] run {i + 1}/{args.runs}: peer (dlt)")
                pstate = scratch / f"peer-{i}"
                results["peer"].append(run_peer(peer_py, world, pstate))
                shutil.rmtree(pstate, ignore_errors=True)
            say(f"[{name}] run {i + 1}/{args.runs}: pipeline")
            home = scratch / f"pipeline-{i}"
            results["pipeline"].append(run_pipeline(world, home))
            say(f"[{name}]   floor {results['floor'][-1]['wall']:.1f} s"
                + (f", peer {results['peer'][-1]['wall']:.1f} s" if peer_py and i < args.peer_runs else "")
                + f", pipeline {results['pipeline'][-1]['wall']:.1f} s")
            shutil.rmtree(home, ignore_errors=True)
        if not args.no_increment:
            inc: dict[str, list[dict]] = {}
            try:
                bench_increment(name, world, manifest, base_files, inc_files, last_day, scratch, args, peer_py, inc)
            except RunFailed as exc:  # keep what was measured; the table says why the rest is missing
                say(f"[{name}] increment failed: {exc}")
                info["increment_error"] = str(exc)
            results.update(inc)
        if lake is not None:
            try:
                lake_rows = lake(name, world, manifest, records, scratch, args.runs)
            except RunFailed as exc:
                say(f"[{name}] lake mode failed: {exc}")
                info["lake_error"] = str(exc)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    inc_records = info["increment_records"]
    rows = []
    labels = {"floor": records, "peer": records, "pipeline": records, "pipeline_base": records - inc_records,
              "floor_base": records - inc_records,
              "peer_base": records - inc_records, "floor_increment": inc_records, "peer_increment": inc_records,
              "increment": inc_records, "peer_noop": 0, "noop": 0}
    for kind, runs in results.items():
        if runs:
            rows.append(summarise(name, kind, labels[kind], runs))
    if not peer_py:
        rows.append({"size": name, "measure": "peer", "skipped": peer_note})
    rows += lake_rows
    add_ratios(rows)
    return rows, info


def bench_increment(name: str, world: Path, manifest: dict, base_files: list[str], inc_files: list[str],
                    last_day: str, scratch: Path, args, peer_py: Path | None, out: dict[str, list[dict]]) -> None:
    """Load the world without its last day once (timed as *_base), then per run: that warehouse, the last day's files
    added to the same landing folder, the run timed (increment), and the same files again (noop); the day's files
    are then taken out again and the warehouse put back as the base left it (from a copy). The increment runs on the
    base's own files, as a daily run does: a copy elsewhere would be another warehouse path, for which dbt parses the
    project again (~3 s) where a daily run reuses the parse of the run before. The base files stay as they are
    between runs, as in a landing folder that receives a day more (re-linking them would change their ctime and
    defeat the discover hash cache, as a copy of the whole folder would). The measures go into `out` as they are
    taken: a failure keeps those before it."""
    out.update({k: [] for k in ("floor_base", "pipeline_base", "increment", "noop", "floor_increment",
                                "peer_base", "peer_increment", "peer_noop")})
    landing0 = scratch / "inc-landing-base"
    link_files(world, landing0, base_files)
    if args.no_full:  # the base load stands for the full one: its floor on the same files
        out["floor_base"].append(run_floor(landing0, scratch))
    home0 = scratch / "inc-pipeline-base"
    say(f"[{name}] increment: loading the world without {last_day} ({len(base_files)} files)")
    out["pipeline_base"].append(run_pipeline(landing0, home0))
    peer0 = scratch / "inc-peer-base"
    if peer_py:
        out["peer_base"].append(run_peer(peer_py, landing0, peer0))
    landing = landing0
    pristine = scratch / "inc-pipeline-base-copy"
    if args.runs > 1:
        shutil.rmtree(pristine, ignore_errors=True)
        ensure_free_disk(scratch, sum(p.stat().st_size for p in home0.rglob("*") if p.is_file()),
                         f"[{name}] the copy of the base warehouse that puts it back between increment runs")
        shutil.copytree(home0, pristine)  # the staging area (wh/staging) is empty after a successful load
    for i in range(args.runs):
        home = home0
        if i > 0:
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(pristine, home)
        link_files(world, landing, inc_files)
        say(f"[{name}] increment run {i + 1}/{args.runs}: +{len(inc_files)} files of {last_day}")
        out["increment"].append(run_pipeline(landing, home))
        out["noop"].append(run_pipeline(landing, home))
        out["floor_increment"].append(run_floor(world, scratch, day=last_day))
        if peer_py and i < args.peer_runs:
            pstate = scratch / f"inc-peer-{i}"
            shutil.rmtree(pstate, ignore_errors=True)
            shutil.copytree(peer0, pstate)
            out["peer_increment"].append(run_peer(peer_py, landing, pstate))
            out["peer_noop"].append(run_peer(peer_py, landing, pstate))
            shutil.rmtree(pstate, ignore_errors=True)
        say(f"[{name}]   increment {out['increment'][-1]['wall']:.1f} s, no-op {out['noop'][-1]['wall']:.1f} s")
        for rel in inc_files:
            (landing / rel).unlink()
    shutil.rmtree(pristine, ignore_errors=True)


def add_ratios(rows: list[dict]) -> None:
    by = {r["measure"]: r for r in rows if "wall_median" in r}
    pairs = {"pipeline": ("floor", "peer"), "increment": ("floor_increment", "peer_increment"),
             "noop": (None, "peer_noop"), "pipeline_base": ("floor_base", "peer_base"),
             # lake mode (--lake, bench/lake.py): the same files as the full load
             **{m: ("floor", "peer") for m in ("pipeline_duckdb15", "lake_1", "lake_2", "lake_4")}}
    for kind, (floor, peer) in pairs.items():
        if kind not in by:
            continue
        r = by[kind]
        if floor and floor in by and by[floor]["wall_median"]:
            r["ratio_to_floor"] = round(r["wall_median"] / by[floor]["wall_median"], 2)
        if peer and peer in by and by[peer]["wall_median"]:
            r["ratio_to_peer"] = round(r["wall_median"] / by[peer]["wall_median"], 2)
    for kind in ("peer", "peer_increment"):
        floor = "floor" if kind == "peer" else "floor_increment"
        if kind in by and floor in by and by[floor]["wall_median"]:
            by[kind]["ratio_to_floor"] = round(by[kind]["wall_median"] / by[floor]["wall_median"], 2)


# ---------------------------------------------------------------------------------------------------- machine, output

def machine() -> dict:
    info = {"nproc": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    try:
        mem = Path("/proc/meminfo").read_text()
        info["memory_gb"] = round(int(re.search(r"MemTotal:\s+(\d+)", mem).group(1)) / 1024 ** 2, 1)
    except (OSError, AttributeError):
        pass
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu_model"] = re.search(r"model name\s*:\s*(.+)", cpu).group(1).strip()
    except (OSError, AttributeError):
        info["cpu_model"] = platform.processor()
    try:
        info["loadavg"] = list(os.getloadavg())
    except OSError:
        pass
    return info


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("duckdb", "polars", "pyarrow", "dagster", "great-expectations", "pandas"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    try:
        out["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=CHECKOUT, capture_output=True,
                                           text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=CHECKOUT,
                               capture_output=True, text=True).stdout.strip()
        out["git_dirty"] = bool(dirty)
    except OSError:
        pass
    return out


def fmt_s(v) -> str:
    return "—" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def markdown(result: dict) -> str:
    m, v = result["machine"], result["versions"]
    lines = [f"# hoso-warehouse benchmark, {result['date']}", "",
             f"Machine: {m.get('nproc')} CPUs ({m.get('cpu_model')}), {m.get('memory_gb')} GB RAM, "
             f"load average at start {', '.join(f'{x:.1f}' for x in m.get('loadavg_start', []))}, at end "
             f"{', '.join(f'{x:.1f}' for x in m.get('loadavg_end', []))} (shared machine: timings are noisy).",
             f"Versions: python {m.get('python')}, duckdb {v.get('duckdb')}, polars {v.get('polars')}, dagster "
             f"{v.get('dagster')}, great-expectations {v.get('great-expectations')}; peer: {result.get('peer')}; "
             f"commit {v.get('git_commit')}{' (+ uncommitted changes)' if v.get('git_dirty') else ''}.",
             f"Runs per measure: {result['runs']}, the peer's: {result.get('peer_runs', result['runs'])} (column `runs`; "
             "wall = median, [min–max]); peak RSS = max over runs of "
             "/usr/bin/time's maximum resident set size of the measured process.", "",
             "| size | measure | runs | records | wall s (median) | [min–max] | records/s | peak RSS MB | ÷ floor | ÷ peer |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in result["rows"]:
        if "skipped" in r:
            lines.append(f"| {r['size']} | {r['measure']} | | | | skipped: {r['skipped']} | | | | |")
            continue
        rate = f"{r['records_per_s']:,.0f}" if r["records"] and r["records_per_s"] else ""
        rss = f"{r['peak_rss_mb']:,.0f}" if r["peak_rss_mb"] is not None else ""
        lines.append(
            f"| {r['size']} | {r['measure']} | {r['runs']} | {r['records']:,} | {fmt_s(r['wall_median'])} | "
            f"{fmt_s(r['wall_min'])}–{fmt_s(r['wall_max'])} | {rate} | {rss} | "
            f"{r.get('ratio_to_floor', '')} | {r.get('ratio_to_peer', '')} |")
    stage_rows = [r for r in result["rows"] if r.get("stages_median")]
    if stage_rows:
        lines += ["", "Pipeline stages (median step wall s from the Dagster event log; in brackets the asset's own "
                  "`seconds`; start-up = process wall − sum of steps: imports, definitions, run bookkeeping):", "",
                  "| size | measure | start-up | " + " | ".join(STAGES) + " |",
                  "|---|---|---:|" + "---:|" * len(STAGES)]
        for r in stage_rows:
            cells = []
            for k in STAGES:
                s = r["stages_median"][k]
                cells.append(fmt_s(s["wall"]) + (f" ({fmt_s(s['seconds'])})" if s["seconds"] is not None else ""))
            lines.append(f"| {r['size']} | {r['measure']} | {fmt_s(r['startup_and_overhead_median'])} | "
                         + " | ".join(cells) + " |")
    lines += ["", "Worlds:", ""]
    for w in result["worlds"]:
        lines.append(f"- {w['size']}: scale {w['scale']:g}, {w.get('provinces', 1)} province(s)"
                     f"{', gzipped' if w.get('gzip') else ''}, {w['files']} files, {w['landing_bytes'] / 1e9:.2f} GB, "
                     f"{w['records']:,} records, {w['dossiers_received'] or 0:,} dossiers received in the clean "
                     f"universe; increment = the {w['increment_files']} files of {w['increment_day']} "
                     f"({w['increment_records']:,} records)"
                     + (f"; failed: {w['increment_error']}" if w.get("increment_error") else "")
                     + (f"; lake mode failed: {w['lake_error']}" if w.get("lake_error") else ""))
    if result.get("goals"):
        lines += ["", "Goals:", ""] + [f"- {g}" for g in result["goals"]]
    if result.get("lake"):
        lines += ["", "Lake mode (bench/lake.py):", ""] + [f"- {g}" for g in result["lake"]]
    return "\n".join(lines) + "\n"


def goals(rows: list[dict]) -> list[str]:
    by = {(r["size"], r["measure"]): r for r in rows if "wall_median" in r}
    out = []
    for (size, kind), r in by.items():
        if kind == "pipeline" or (kind == "pipeline_base" and (size, "pipeline") not in by):
            what = "pipeline" if kind == "pipeline" else "pipeline (the world without its last day)"
            if size in ("1m", "10m") and "ratio_to_floor" in r:
                out.append(f"{size}: {what} ÷ floor = {r['ratio_to_floor']} (goal ≤ 3): "
                           f"{'met' if r['ratio_to_floor'] <= 3 else 'MISSED'}")
            if "ratio_to_peer" in r:
                out.append(f"{size}: {what} ÷ peer = {r['ratio_to_peer']} (goal < 1): "
                           f"{'met' if r['ratio_to_peer'] < 1 else 'MISSED'}")
            if size == "10m" and r.get("peak_rss_mb"):
                out.append(f"10m: peak RSS {r['peak_rss_mb']:.0f} MB (goal ≤ 3072): "
                           f"{'met' if r['peak_rss_mb'] <= 3072 else 'MISSED'}")
        if kind == "increment":
            note = "" if size == "10m" else " (goal is on a 10M warehouse; this size is an indication)"
            out.append(f"{size}: daily increment {r['wall_median']:.1f} s (goal < 10 s){note}: "
                       f"{'met' if r['wall_median'] < 10 else 'MISSED'}")
        if kind == "noop":
            out.append(f"{size}: no-op re-run {r['wall_median']:.1f} s (goal < 2 s): "
                       f"{'met' if r['wall_median'] < 2 else 'MISSED'}")
    return out
