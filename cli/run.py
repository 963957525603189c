"""One pipeline run from the command line: the `daily_sync` job of the one Definitions (pipelines/definitions.py)
over the days the landing folder holds, as Dagster runs recorded in DAGSTER_HOME, with their progress printed as
they happen (used by `hoso run`, `hoso demo`, `hoso rebuild`). Public Dagster APIs only."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from uuid import uuid4

from dagster import AssetKey, AssetSelection, DagsterEventType, DagsterInstance

from assets.partitions import PROVINCES, partition_key
from assets.settings import Settings, SettingsError, pii_key
from cli.freshness import days_with_new_files
from cli.landing import check_landing, say
from pipelines.definitions import ASSETS, build_definitions
from pipelines.tags import files_tag, writer_tags
from sources.discover import classify, day_outside, today_local
from sources.registry import REFERENCE_KINDS

# Dagster's documented run tags for a partition range: a single-run backfill of the daily assets over the range.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# With no dated file, only the assets without partitions run (reference tables, marts, snapshot, report).
UNPARTITIONED = [key for a in ASSETS if a.partitions_def is None for key in a.keys]
# With dated files, two runs: the daily assets over the range of days with what they read (the reference tables),
# then everything downstream. Dagster records a planned event per day of the range for every asset of a range run,
# unpartitioned ones included (each an SQLite write, ~10 ms): in one run, 65 assets x 37 days cost ~25 s before the
# first step; split, 5 x 37 + 60.
DAILY = AssetSelection.assets(*[k for a in ASSETS if a.partitions_def is not None for k in a.keys])
DAYS_PART = sorted(DAILY.upstream().resolve(ASSETS))
WAREHOUSE_PART = [key for key in UNPARTITIONED if key not in DAYS_PART]


def landing_days(landing: Path) -> dict[str, list[str]]:
    """{day: [relpath, ...]} of the dated (partitioned) exports of the landing folder whose day has a partition.
    A file dated outside the partitions (sources.discover.day_outside: before 2020, years ahead) is not planned: the
    reference step rejects it with the reason; one dated a day or two ahead waits for its day."""
    days: dict[str, list[str]] = {}
    today = today_local()
    for p in sorted(landing.rglob("*")):
        if p.is_file():
            rel = p.relative_to(landing).as_posix()
            kind, _seq, _obs, day = classify(rel)
            if day and kind not in REFERENCE_KINDS and day_outside(day, today) is None and day <= today:
                days.setdefault(day.isoformat(), []).append(rel)
    return days


def days_tag(rng: tuple[str, str], n: int) -> str:
    return rng[0] if n == 1 else f"{rng[0]}..{rng[1]} ({n} days)"  # one day: as the sensor tags its runs


def partition_range(landing: Path) -> tuple[str, str] | None:
    days = landing_days(landing)
    return (min(days), max(days)) if days else None


# Failures whose message is the whole story, one line saying what happened and what to do (assets/resources.py).
EXPLAINED = ("WarehouseFailure", "WarehouseUnavailable")


def failure_reason(err) -> tuple[str, bool]:
    """(one line for a step failure's error, whether it is an explained cause). An explained cause anywhere in the
    chain is shown as it is; otherwise the innermost error's last line, rather than Dagster's wrapper ("Error
    occurred while executing op ...")."""
    if err is None:
        return "unknown error", False
    chain, e = [], err
    while e is not None and len(chain) < 20:
        chain.append(e)
        e = e.cause or e.context
    for e in chain:
        if e.cls_name in EXPLAINED:
            line = (e.message.strip().splitlines() or [""])[0]
            return line.split(": ", 1)[1] if line.startswith(tuple(f"{p}." for p in ("assets", "warehouse"))) \
                and ": " in line else line, True
    innermost = chain[-1]
    return (innermost.message.strip().splitlines() or ["unknown error"])[-1], False


class RunProgress:
    """Prints the run as it happens, from the Dagster event log entries of the run (instance event listener):
    each step as it starts, our own `context.log.info` lines, each asset with its main figures as its step
    succeeds, failed checks and step failures (one line each)."""

    SHOWN = ("files_new", "files_rejected", "records_read", "records_quarantined", "rows_loaded",
             "rows_quarantined", "load_id", "province_wide.online_ratio_pct", "commune.online_ratio_pct", "tables")

    def __init__(self, say, debug: bool = False, quiet: bool = False):
        self.debug = debug
        # quiet: failures only
        self.say = (lambda msg, failure=False: say(msg) if failure else None) if quiet else (lambda msg, failure=False: say(msg))
        self.t0 = time.perf_counter()
        self.started: dict[str, float] = {}
        self.materialized: dict[str, dict] = {}
        self.failures: list[str] = []
        self.causes: list[str] = []  # the one-line causes of failures that say what to do (WarehouseFailure)

    def _at(self) -> str:
        return f"[{time.perf_counter() - self.t0:6.1f} s]"

    def __call__(self, entry) -> None:
        ev = entry.dagster_event
        # a step is an asset's op: staging__validated_exports is shown as staging/validated_exports
        step = entry.step_key.replace("__", "/") if entry.step_key else None
        if ev is None:  # a log line of our own code (context.log.*)
            level = entry.level if isinstance(entry.level, int) else logging.getLevelName(entry.level)
            if step and isinstance(level, int) and level >= logging.INFO:
                self.say(f"           {step}: {entry.user_message}")
            return
        kind = ev.event_type
        if kind == DagsterEventType.STEP_START:
            self.started[step] = time.perf_counter()
            self.say(f"  {self._at()} {step} ...")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            mat = ev.event_specific_data.materialization
            # a backfill range reports one event per partition, with the same metadata; a multi-asset one per
            # table or dbt model, each with its own figures: keep them all, the last one of a key wins
            self.materialized.setdefault(step, {}).update({k: v.value for k, v in mat.metadata.items()})
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            check = ev.event_specific_data
            if not check.passed:
                figures = ", ".join(f"{k}={v.value}" for k, v in (check.metadata or {}).items()
                                    if isinstance(v.value, (int, float)))
                said = check.description if check.blocking and check.description else figures
                self.say(f"           check {check.check_name} of {check.asset_key.to_user_string()} failed "
                         f"({'blocking' if check.blocking else check.severity.value.lower()})"
                         + (f": {said}" if said else ""), failure=check.blocking)
                if check.blocking and check.description:
                    self.causes.append(f"check {check.check_name}: {check.description}")
        elif kind == DagsterEventType.STEP_SUCCESS:
            md = self.materialized.get(step, {})
            took = time.perf_counter() - self.started.get(step, self.t0)
            figures = ", ".join(f"{k}={md[k]}" for k in self.SHOWN if k in md)
            self.say(f"  {self._at()} {step} done in {took:.1f} s" + (f": {figures}" if figures else ""))
        elif kind == DagsterEventType.STEP_FAILURE:
            err = ev.event_specific_data.error
            msg, known = failure_reason(err)
            self.failures.append(step)
            if known and msg in self.causes:  # the same cause seen by another step: said once
                self.say(f"  {self._at()} {step} FAILED: the same cause")
            else:
                self.say(f"  {self._at()} {step} FAILED: {msg}", failure=True)
            if known and msg not in self.causes:
                self.causes.append(msg)
            if self.debug and err:
                self.say(err.to_string(), failure=True)
        elif kind == DagsterEventType.STEP_SKIPPED:
            self.say(f"  {self._at()} {step} skipped (an upstream step failed or a blocking check did not pass)")


@contextlib.contextmanager
def _root_log_quiet():
    """dagster-postgres says each connection retry on the root logger (~12 s of them when the server is down): the
    one line after them says it."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _first_line(exc: Exception) -> str:
    """The first line of what went wrong; for a configuration error, the first line of its first error (Dagster's
    own first line lists the schema)."""
    errors = getattr(exc, "errors", None)
    text = str(getattr(errors[0], "message", "")) if errors else ""
    text = text.split("failed:", 1)[-1] if "failed:" in text else text
    first = next((line.strip() for line in (text or str(exc)).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@contextlib.contextmanager
def _open_instance(dagster_home: Path):
    """The Dagster instance of DAGSTER_HOME. Its SQLite storages are created on first use; two runs starting at once
    on a new DAGSTER_HOME would race creating them ("table alembic_version already exists"), so the first use
    happens under a lock file."""
    with open(dagster_home / ".instance.lock", "a+") as fh, _root_log_quiet():
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            instance = DagsterInstance.get()
            instance.get_runs(limit=1)
            instance.get_latest_materialization_event(AssetKey(["analytics", "snapshot"]))
            instance.all_instigator_state()
        except Exception as exc:  # a dagster.yaml that does not load, a storage server that does not answer
            raise SettingsError(
                f"the Dagster instance of DAGSTER_HOME={dagster_home} cannot be opened ({_first_line(exc)}): check {dagster_home / 'dagster.yaml'}; with PostgreSQL storage (deploy/dagster.yaml), "
                "that HOSO_DAGSTER_PG_URL is set and its server accepts connections") from exc
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    with instance:
        yield instance


def run_pipeline(settings: Settings, *, ratio_definition: str = "A", allow_demo_key: bool = False,
                 quiet: bool = False, instance=None, debug: bool = False, command: str = "run",
                 force: bool = False) -> bool:
    """Materialize every asset over the days of the landing folder that hold a file not recorded yet (with `force`,
    over all of its days): the `daily_sync` job of the Definitions, as two runs recorded in DAGSTER_HOME (or in
    `instance`): the daily assets over those days, then the warehouse downstream of them (DAYS_PART above); one run
    of the unpartitioned assets when no dated file is new.

    Progress goes to stderr as the runs happen (unless quiet); the runs' tags say which files and days they cover
    (`hoso/files`, `hoso/days`, the same `hoso/invocation`), the load's metadata (meta/files) lists the files it
    actually loaded."""
    check_landing(settings)
    pii_key(allow_demo=allow_demo_key)  # fail before any work when the key is missing
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = settings.dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        instance_yaml.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    # Only the days with a file the warehouse does not record yet: the others have no work, and each day of the range
    # costs a planned event per asset of the days' run.
    days = landing_days(settings.landing_dir)
    if not force:
        days = days_with_new_files(settings, days)
    rng = (min(days), max(days)) if days else None
    files = [f for d in sorted(days) for f in days[d]]
    tags = {"hoso/command": command, **writer_tags(settings.warehouse_db), "hoso/files": files_tag(files),
            "hoso/days": days_tag(rng, len(days)) if rng else "none (reference files only)",
            "hoso/invocation": str(uuid4())}  # the runs of one command share it (filter by tag in the UI)
    logging_config = {
        # Dagster's own console log only with --debug: the progress lines below say what happens, in one line each.
        "loggers": {"console": {"config": {"log_level": "INFO" if debug else "CRITICAL"}}},
    }
    marts_config = {"ops": {"marts": {"config": {"ratio_definition": ratio_definition}}}}
    # (asset selection, run config, extra tags) of each run, in order; a run starts only if the one before succeeded
    # (what a failed step's downstream steps do inside one run).
    if rng:
        # By province and day, the range is the rectangle of these days and every province.
        start, end = partition_key(rng[0], PROVINCES[0] if PROVINCES else None), \
            partition_key(rng[1], PROVINCES[-1] if PROVINCES else None)
        runs = [(DAYS_PART, logging_config, {RANGE_START_TAG: start, RANGE_END_TAG: end, "hoso/part": "1/2 days"}),
                (WAREHOUSE_PART, logging_config | marts_config, {"hoso/part": "2/2 warehouse"})]
    else:
        runs = [(UNPARTITIONED, logging_config | marts_config, {})]
    if not quiet:
        say(f"{command}: {settings.landing_dir} -> {settings.warehouse_db}"
            + (f", days {rng[0]} .. {rng[1]} ({len(files)} dated files)" if rng else ", reference files only"))
    progress = RunProgress(say, debug=debug, quiet=quiet)
    job = build_definitions(settings, allow_demo_key=allow_demo_key).resolve_job_def("daily_sync")
    run_ids: list[str] = []

    def execute(inst: DagsterInstance) -> bool:
        for selection, run_config, extra_tags in runs:
            run_id = str(uuid4())  # known in advance, so that the progress listener can follow the run
            run_ids.append(run_id)
            inst.add_event_listener(run_id, progress)
            result = job.execute_in_process(run_config=run_config, instance=inst, tags=tags | extra_tags,
                                            run_id=run_id, asset_selection=selection, raise_on_error=False)
            if not result.success:
                return False
        return True

    if instance is None:
        with _open_instance(settings.dagster_home) as instance:
            success = execute(instance)
    else:
        success = execute(instance)
    if not quiet:
        # The last line says how it ended; after a failure with a known cause, the cause and what to do.
        cause = f": {progress.causes[0]}" if progress.causes and not success else ""
        say(f"{command} {'succeeded' if success else 'FAILED'} in {time.perf_counter() - progress.t0:.1f} s"
            f"{cause} (Dagster run{'s' if len(run_ids) > 1 else ''} {', '.join(run_ids)}"
            f"{'' if success else '; `dagster dev` shows its logs'})")
    return success
