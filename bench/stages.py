"""Stage timings of the latest `hoso run` recorded in a DAGSTER_HOME, read from the Dagster event log: its runs (the
days, then the warehouse: cli/run.py), those that share the latest run's `hoso/invocation` tag.

Run by the project's python after the run's process has ended:
`DAGSTER_HOME=... python -m bench.stages [--warehouse DB]` prints one JSON object:

    {"run_id" (its runs' ids, comma-separated), "status" (the last run's), "run_seconds": the first RUN_START..the
     last RUN_SUCCESS,
     "steps": {step_key: {"wall": STEP_START..STEP_SUCCESS/FAILURE seconds, "seconds": the asset's own `seconds`
                          metadata (None when it reports none), "status"}},
     "loads": [meta.loads rows of the warehouse: load_id, seconds, files, rows_read, rows_loaded] (with --warehouse)}

A step's `wall` includes what its asset does outside its own timer (Dagster's bookkeeping, one materialization
event per daily partition); the difference between the process wall time and the sum of the steps is start-up
(imports, definitions) and the run's own overhead.
"""

from __future__ import annotations

import argparse
import json
import sys


def stage_timings() -> dict:
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {"run_id": None, "status": "no run", "steps": {}}
        invocation = runs[0].tags.get("hoso/invocation")
        if invocation:
            runs = instance.get_runs(filters=RunsFilter(tags={"hoso/invocation": invocation}))[::-1]  # oldest first
        start: dict[str, float] = {}
        steps: dict[str, dict] = {}
        first = last = None
        for run in runs:
            for entry in instance.all_logs(run.run_id):
                ev = entry.dagster_event
                if ev is None:
                    continue
                kind, key, ts = ev.event_type_value, ev.step_key, entry.timestamp
                if kind in ("RUN_START", "PIPELINE_START"):
                    first = ts if first is None else first
                elif kind in ("RUN_SUCCESS", "RUN_FAILURE", "PIPELINE_SUCCESS", "PIPELINE_FAILURE"):
                    last = ts
                elif kind == "STEP_START":
                    start[key] = ts
                elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and key in start:
                    steps.setdefault(key, {"seconds": None})
                    steps[key].update(wall=round(ts - start[key], 3), status=kind.split("_")[1].lower())
                elif kind == "ASSET_MATERIALIZATION":
                    md = ev.event_specific_data.materialization.metadata
                    if "seconds" in md:
                        steps.setdefault(key, {})["seconds"] = md["seconds"].value
                elif kind == "STEP_SKIPPED":
                    steps.setdefault(key, {}).update(wall=0.0, status="skipped", seconds=None)
        return {"run_id": ",".join(r.run_id for r in runs), "status": runs[-1].status.value,
                "run_seconds": round(last - first, 3) if first and last else None, "steps": steps}


def loads(warehouse: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        cur = con.execute("SELECT load_id, status, seconds, files, rows_read, rows_loaded FROM meta.loads "
                          "ORDER BY started_at")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", help="also report meta.loads of this warehouse")
    args = ap.parse_args(argv)
    out = stage_timings()
    if args.warehouse:
        try:
            out["loads"] = loads(args.warehouse)
        except Exception as exc:  # a failed run may leave no warehouse
            out["loads_error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
