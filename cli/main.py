"""The `hoso` command line: sample, run, rebuild, demo, report.

Errors are one line saying what is wrong and what to do; --debug shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assets.settings import Settings, SettingsError, pii_key
from cli.freshness import nothing_new
from cli.landing import check_landing, say
from cli.report import headline
from warehouse.db import WarehouseUnavailable, check_writable


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    # deferred: the generator's imports (xlsxwriter, vietnam_provinces) cost ~0.3 s that `hoso run` does not need
    from samples.generate import generate_world, summary_lines

    out = Path(args.out).resolve() if args.out else settings.landing_dir
    t0 = time.perf_counter()
    gzip = getattr(args, "gzip", False)  # `hoso demo` has no --gzip
    as_written = None
    if gzip:
        from samples.compress import GzipAsWritten, compress_world

        as_written = GzipAsWritten(out)
    try:
        manifest = generate_world(out, seed=args.seed, scale=args.scale, provinces=args.provinces,
                                  progress=None if args.quiet else say, day_written=as_written)
    finally:
        if as_written is not None:
            as_written.wait()
    if gzip:
        manifest = compress_world(out)
    took = time.perf_counter() - t0
    print("\n".join(summary_lines(manifest)))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"\nwrote {len(manifest['files'])} files ({size / 1e6:,.1f} MB) to {out} in {took:.1f} s")
    return 0


def _up_to_date(args: argparse.Namespace, settings: Settings, definition: str) -> bool:
    """True (and says so, and prints the headline) when a run would change nothing (cli/freshness.py)."""
    if args.force:
        return False
    check_landing(settings)
    reason = nothing_new(settings, definition)
    if reason is None:
        return False
    if not args.quiet:
        say(reason)
        print(headline(settings.analytics_db))
    return True


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if _up_to_date(args, settings, args.definition):
        return 0
    pii_key(allow_demo=False)  # the missing key is said first
    check_writable(settings.warehouse_db)  # one line within seconds, before Dagster starts, when it cannot be
    from cli.run import run_pipeline  # deferred: Dagster and the Definitions take seconds to import

    ok = run_pipeline(settings, ratio_definition=args.definition, allow_demo_key=False, quiet=args.quiet,
                      debug=args.debug, force=args.force)
    if ok and not args.quiet:
        print(headline(settings.analytics_db))
    return 0 if ok else 1


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from cli.rebuild import rebuild  # deferred: Dagster and the Definitions take seconds to import

    ok = rebuild(settings, ratio_definition=args.definition, quiet=args.quiet, debug=args.debug)
    if ok and not args.quiet:
        print(headline(settings.analytics_db))
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    landing = settings.landing_dir
    if not landing.is_dir() or not any(landing.iterdir()):
        say(f"demo: the landing folder {landing} is empty; generating the sample world there")
        args.out, args.seed, args.scale, args.provinces = None, 20250806, 1.0, 0
        cmd_sample(args, settings)
    if _up_to_date(args, settings, "A"):
        return 0
    check_writable(settings.warehouse_db)
    from cli.run import run_pipeline  # deferred: Dagster and the Definitions take seconds to import

    # The sample world is synthetic: the public demo key pseudonymises it unless HOSO_PII_KEY is set.
    ok = run_pipeline(settings, ratio_definition="A", allow_demo_key=True, quiet=args.quiet, debug=args.debug,
                      command="demo")
    if ok:
        print()
        print(headline(settings.analytics_db))
    return 0 if ok else 1


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.analytics_db.is_file():
        raise SettingsError(f"no analytics snapshot at {settings.analytics_db} yet: run `hoso run` (or `hoso demo`) "
                            "first, or set HOSO_ANALYTICS_DB to the snapshot's path")
    print(headline(settings.analytics_db))
    return 0


def build_parser() -> argparse.ArgumentParser:
    # --debug and --quiet are accepted before or after the command (`hoso --debug run`, `hoso run --debug`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks and Dagster's own log")
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress on stderr")
    p = argparse.ArgumentParser(prog="hoso", description="hoso-warehouse: portal exports -> DuckDB warehouse",
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", parents=[common],
                       help="write the sample world (and its ground-truth manifest) to the landing folder")
    s.add_argument("--scale", type=float, default=1.0, help="multiply every record count (default 1)")
    s.add_argument("--provinces", type=int, default=0, help="add N synthetic provinces (for benchmarks)")
    s.add_argument("--seed", type=int, default=20250806)
    s.add_argument("--out", help="folder to write (default: HOSO_LANDING_DIR)")
    s.add_argument("--gzip", action="store_true",
                   help="gzip every dated CSV and JSON export in place (name.gz), as transfers deliver them; the "
                   "manifest names the compressed files")
    r = sub.add_parser("run", parents=[common],
                       help="materialize everything the landing folder holds, then print the headline")
    r.add_argument("--definition", default="A", choices=["A", "B", "C", "D"], help="online-ratio definition")
    r.add_argument("--force", action="store_true",
                   help="run even when every landing file is already recorded and the snapshot is up to date, over "
                   "every day of the landing folder (without it, over the days with a file not recorded yet)")
    rb = sub.add_parser("rebuild", parents=[common],
                        help="rebuild the warehouse from every landing file (the previous one is set aside, and put "
                        "back if the rebuild fails)")
    rb.add_argument("--definition", default="A", choices=["A", "B", "C", "D"], help="online-ratio definition")
    d = sub.add_parser("demo", parents=[common], help="sample (if the landing folder is empty) + run + headline")
    d.add_argument("--force", action="store_true", help="run even when nothing is new")
    sub.add_parser("report", parents=[common], help="print the headline from the analytics snapshot")
    return p


COMMANDS = {"sample": cmd_sample, "run": cmd_run, "rebuild": cmd_rebuild, "demo": cmd_demo, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.debug, args.quiet = getattr(args, "debug", False), getattr(args, "quiet", False)
    try:
        return COMMANDS[args.command](args, Settings.from_env())
    except KeyboardInterrupt:
        say("hoso: interrupted")
        return 130
    except Exception as exc:  # one line unless --debug
        if args.debug:
            raise
        said = isinstance(exc, (SettingsError, WarehouseUnavailable))  # the message says what to do
        say(f"hoso {args.command}: {exc}" + ("" if said else "  (--debug for the traceback)"))
        return 1


if __name__ == "__main__":
    sys.exit(main())
