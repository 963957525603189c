"""`python -m bench`: floor, peer and pipeline on the same generated files (bench/harness.py), with the increment,
the no-op re-run and, with --lake, lake mode (bench/lake.py). See bench/README.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.harness import (CHECKOUT, SIZES, bench_size, ensure_peer_venv, goals, machine, markdown, parse_sizes, say,
                           versions)
from bench.lake import bench_lake, lake_lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description="floor, peer (dlt) and pipeline on the same "
                                 "generated exports, plus the daily increment and a no-op re-run")
    ap.add_argument("--sizes", default="sample,1m", help=f"comma-separated: {', '.join(SIZES)} or a scale (0.05)")
    ap.add_argument("--with-10m", action="store_true", help="add the national world: 34 provinces, ~10.5M dossiers, "
                    "gzipped (5.4 GB of files, ~25 min to generate; a run needs ~40 GB more free: warehouse, staging, spill)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measure (the median is reported)")
    ap.add_argument("--peer-runs", type=int, default=None,
                    help="runs of the peer (dlt) per measure, default --runs (the peer takes ~4x the pipeline's time)")
    ap.add_argument("--out", help="results path without extension (.json and .md are written); default "
                    "bench/results/bench-<UTC time>")
    ap.add_argument("--data-dir", default="/tmp/hoso-bench", help="cache of generated worlds, the peer venv, scratch")
    ap.add_argument("--peer-venv", help="the dlt venv (default DATA_DIR/venv-dlt; created when missing)")
    ap.add_argument("--no-peer", action="store_true", help="skip the dlt peer")
    ap.add_argument("--no-increment", action="store_true", help="skip the increment and no-op measures")
    ap.add_argument("--no-full", action="store_true", help="skip the full load: the load of the world without its "
                    "last day (the increment's base) stands for it, with the floor on the same files (one load "
                    "instead of two at 10M)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch warehouses")
    ap.add_argument("--lake", action="store_true", help="add lake mode (bench/lake.py): the embedded pipeline on "
                    "DuckDB 1.5.5, and the world loaded into a DuckLake by 1, 2 and 4 workers (a PostgreSQL server "
                    "is started; the lake environment is made if missing)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    args.peer_runs = args.runs if args.peer_runs is None else min(args.peer_runs, args.runs)
    if args.no_full and args.no_increment:
        ap.error("--no-full measures the load through the increment's base: leave out --no-increment")
    if args.lake and args.no_full:
        ap.error("--lake compares lake mode with the full load: leave out --no-full")
    if args.peer_runs < 1:
        ap.error("--peer-runs must be at least 1 (--no-peer leaves the peer out)")
    sizes = parse_sizes(args.sizes)
    if args.with_10m and ("10m", SIZES["10m"]) not in sizes:
        sizes.append(("10m", SIZES["10m"]))
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    out = Path(args.out) if args.out else CHECKOUT / "bench" / "results" / f"bench-{started:%Y%m%dT%H%M}Z"
    mach = machine()
    mach["loadavg_start"] = mach.pop("loadavg", [])
    peer_py, peer_note = (None, "--no-peer") if args.no_peer else ensure_peer_venv(
        Path(args.peer_venv) if args.peer_venv else data_dir / "venv-dlt")
    if args.no_peer is False and peer_py is None:
        say(f"bench: peer skipped: {peer_note}")
    rows, worlds = [], []
    vers = versions()
    out.parent.mkdir(parents=True, exist_ok=True)
    md = ""
    for done, (name, scale) in enumerate(sizes, 1):
        r, info = bench_size(name, scale, args, peer_py, peer_note, lake=bench_lake if args.lake else None)
        rows += r
        worlds.append(info)
        mach["loadavg_end"] = list(os.getloadavg())
        result = {"date": started.isoformat(timespec="seconds"), "finished": datetime.now(timezone.utc).isoformat(
            timespec="seconds"), "complete": done == len(sizes), "machine": mach, "versions": vers,
            "peer": (f"dlt {peer_note.split()[0]} + duckdb {peer_note.split()[1]} (own venv)" if peer_py else
                     f"skipped: {peer_note}"),
            "runs": args.runs, "peer_runs": args.peer_runs, "sizes": [n for n, _ in sizes], "worlds": worlds, "rows": rows, "goals": goals(rows),
            "lake": lake_lines(rows) if args.lake else []}
        # Written after every size, so a long run that is interrupted keeps what it measured.
        Path(f"{out}.json").write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
        md = markdown(result)
        Path(f"{out}.md").write_text(md, encoding="utf-8")
    print(md)
    say(f"results: {out}.json, {out}.md")
    return 0


sys.exit(main())
