"""The `hoso` command line: sample, run, demo, report.

Errors are one line saying what is wrong and what to do; --debug shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipelines.settings import Settings, SettingsError


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from samples.generate import generate_world, summary_lines

    out = Path(args.out).resolve() if args.out else settings.landing_dir
    t0 = time.perf_counter()
    manifest = generate_world(out, seed=args.seed, scale=args.scale, provinces=args.provinces,
                              progress=None if args.quiet else _say)
    took = time.perf_counter() - t0
    print("\n".join(summary_lines(manifest)))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"\nwrote {len(manifest['files'])} files ({size / 1e6:,.1f} MB) to {out} in {took:.1f} s")
    return 0


def _partition_range(landing: Path) -> tuple[str, str] | None:
    from sources.discover import classify
    from stages.extract import REFERENCE_KINDS

    days = set()
    for p in landing.rglob("*"):
        if p.is_file():
            kind, _seq, _obs, day = classify(p.relative_to(landing).as_posix())
            if day and kind not in REFERENCE_KINDS:
                days.add(day.isoformat())
    return (min(days), max(days)) if days else None


def run_pipeline(settings: Settings, *, ratio_definition: str = "A", allow_demo_key: bool = False,
                 quiet: bool = False, instance=None) -> bool:
    """Materialize every asset over the days the landing folder holds, as one Dagster run recorded in DAGSTER_HOME."""
    from dagster import DagsterInstance, materialize
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from pipelines.definitions import ALL_ASSETS
    from pipelines.resources import default_resources

    if not settings.landing_dir.is_dir() or not any(settings.landing_dir.iterdir()):
        raise SettingsError(f"the landing folder {settings.landing_dir} is empty: put exports there or run `hoso sample`")
    resources = default_resources(settings, allow_demo_key=allow_demo_key)
    resources["landing"].pii_key()  # fail before any work when the key is missing
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = settings.dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        instance_yaml.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    rng = _partition_range(settings.landing_dir)
    selection = ALL_ASSETS if rng else [a for a in ALL_ASSETS if a.partitions_def is None]
    tags = {"hoso/command": "run", "hoso/writer": "warehouse"}
    if rng:
        tags |= {ASSET_PARTITION_RANGE_START_TAG: rng[0], ASSET_PARTITION_RANGE_END_TAG: rng[1]}
    run_config = {
        "ops": {"marts": {"config": {"ratio_definition": ratio_definition}}},
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
    if not quiet:
        _say(f"run: {settings.landing_dir} -> {settings.warehouse_db}"
             + (f", days {rng[0]} .. {rng[1]}" if rng else ", reference files only"))
    t0 = time.perf_counter()
    if instance is None:
        with DagsterInstance.get() as instance:
            result = materialize(selection, resources=resources, instance=instance, tags=tags,
                                 run_config=run_config, raise_on_error=False)
    else:
        result = materialize(selection, resources=resources, instance=instance, tags=tags, run_config=run_config,
                             raise_on_error=False)
    if not quiet:
        shown = set()
        for ev in result.get_asset_materialization_events():
            mat = ev.event_specific_data.materialization
            if mat.asset_key in shown:  # a backfill range reports one event per partition, same metadata
                continue
            shown.add(mat.asset_key)
            md = {k: v.value for k, v in mat.metadata.items()}
            keys = [k for k in ("files_new", "records_read", "records_quarantined", "rows_loaded", "load_id",
                                "province_wide.online_ratio_pct", "tables") if k in md]
            _say(f"  {mat.asset_key.to_user_string():<20} " + ", ".join(f"{k}={md[k]}" for k in keys))
        _say(f"run {'succeeded' if result.success else 'FAILED'} in {time.perf_counter() - t0:.1f} s "
             f"(Dagster run {result.run_id})")
    if not result.success:
        for ev in result.all_events:
            if ev.is_step_failure:
                err = ev.event_specific_data.error
                _say(f"  step {ev.step_key} failed: {err.message.strip().splitlines()[-1] if err else 'unknown error'}")
    return result.success


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    ok = run_pipeline(settings, ratio_definition=args.definition, allow_demo_key=False, quiet=args.quiet)
    if ok and not args.quiet:
        from pipelines.report import headline

        print(headline(settings.analytics_db))
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    landing = settings.landing_dir
    if not landing.is_dir() or not any(landing.iterdir()):
        _say(f"demo: the landing folder {landing} is empty; generating the sample world there")
        args.out, args.seed, args.scale, args.provinces = None, 20250806, 1.0, 0
        cmd_sample(args, settings)
    # The sample world is synthetic: the public demo key pseudonymises it unless HOSO_PII_KEY is set.
    ok = run_pipeline(settings, ratio_definition="A", allow_demo_key=True, quiet=args.quiet)
    if ok:
        from pipelines.report import headline

        print()
        print(headline(settings.analytics_db))
    return 0 if ok else 1


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.report import headline

    print(headline(settings.analytics_db))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hoso", description="hoso-warehouse: portal exports -> DuckDB warehouse")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write the sample world (and its ground-truth manifest) to the landing folder")
    s.add_argument("--scale", type=float, default=1.0, help="multiply every record count (default 1)")
    s.add_argument("--provinces", type=int, default=0, help="add N synthetic provinces (for benchmarks)")
    s.add_argument("--seed", type=int, default=20250806)
    s.add_argument("--out", help="folder to write (default: HOSO_LANDING_DIR)")
    r = sub.add_parser("run", help="materialize everything the landing folder holds, then print the headline")
    r.add_argument("--definition", default="A", choices=["A", "B", "C", "D"], help="online-ratio definition")
    sub.add_parser("demo", help="sample (if the landing folder is empty) + run + headline")
    sub.add_parser("report", help="print the headline from the analytics snapshot")
    return p


COMMANDS = {"sample": cmd_sample, "run": cmd_run, "demo": cmd_demo, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, Settings.from_env())
    except KeyboardInterrupt:
        _say("hoso: interrupted")
        return 130
    except Exception as exc:  # one line unless --debug
        if args.debug:
            raise
        _say(f"hoso {args.command}: {exc}" + ("" if isinstance(exc, SettingsError) else "  (--debug for the traceback)"))
        return 1


if __name__ == "__main__":
    sys.exit(main())
