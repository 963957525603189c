"""The `hoso` CLI as a subprocess in a private working folder, table fingerprints, and the grown landing folder.

Fingerprints (`fingerprints`): per table, the row count and an order-independent sum of row hashes over every
column, EXCEPT what differs between two loads of the same content:
- load ids (`load_id`, `first_load_id`, `last_load_id`, `merged_load_id`, `resolved_by_load_id`) and `run_id`: only
  whether they are null is fingerprinted (a resolved quarantine row stays resolved; which load resolved it is not
  compared);
- the clocks of the meta tables (`started_at`, `finished_at`, `validated_at`, `seconds`);
- `meta.loads` as a whole (one row per attempt, failed ones included): compared separately (`loads`);
- the schema `data_quality` (warehouse and snapshot): it describes the loads themselves (one row per load, per file
  version and the load that first saw it, the build time), which differ between two histories of the same content.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

CHECKOUT = Path(__file__).resolve().parents[2]
TEST_KEY = "reliability-test-key-not-a-secret-0123456789"
LOAD_ID_COLUMNS = {"load_id", "first_load_id", "last_load_id", "merged_load_id", "resolved_by_load_id", "run_id"}
META_CLOCKS = {"started_at", "finished_at", "validated_at", "seconds"}
SKIP_TABLES = {"meta.loads"}
SKIP_SCHEMAS = {"data_quality"}


def hoso_command() -> list[str]:
    script = Path(sys.executable).with_name("hoso")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cli"]


@dataclass
class Result:
    args: tuple
    crash: str | None
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


@dataclass
class Workdir:
    """A private warehouse, snapshot, Dagster home and docs folder over a landing folder."""

    root: Path
    landing: Path
    results: list[Result] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)

    warehouse_db = property(lambda self: self.root / "warehouse.duckdb")
    analytics_db = property(lambda self: self.root / "analytics.duckdb")
    dagster_home = property(lambda self: self.root / "dagster_home")
    docs_dir = property(lambda self: self.root / "docs")
    staging = property(lambda self: self.root / "staging")
    logs = property(lambda self: self.root / "logs")

    def env(self, key: str | None = TEST_KEY, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HOSO_") and k not in ("DAGSTER_HOME", "PYTHONWARNINGS")}
        env |= {
            "HOSO_LANDING_DIR": str(self.landing),
            "HOSO_WAREHOUSE_DB": str(self.warehouse_db),
            "HOSO_ANALYTICS_DB": str(self.analytics_db),
            "DAGSTER_HOME": str(self.dagster_home),
            "HOSO_DOCS_DIR": str(self.docs_dir),
        }
        if key:
            env["HOSO_PII_KEY"] = key
        return env | extra

    def start(self, *args: str, crash: str | None = None, key: str | None = TEST_KEY) -> subprocess.Popen:
        """Start `hoso <args>` (default `run`); its output goes to logs/ (scanned by test_personal_data)."""
        args = args or ("run",)
        n = len(list(self.logs.glob("*.out")))
        label = f"{n:03d}-{'-'.join(args)}" + (f"-crash-{crash.replace(':', '_')}" if crash else "")
        env = self.env(key=key, **({"HOSO_CRASH_AT": crash} if crash else {}))
        out = open(self.logs / f"{label}.out", "w", encoding="utf-8")
        err = open(self.logs / f"{label}.err", "w", encoding="utf-8")
        proc = subprocess.Popen(hoso_command() + list(args), cwd=CHECKOUT, env=env, stdout=out, stderr=err)
        proc._hoso = (args, crash, out, err, time.perf_counter())  # type: ignore[attr-defined]
        return proc

    def wait(self, proc: subprocess.Popen, timeout: float = 900) -> Result:
        args, crash, out, err, t0 = proc._hoso  # type: ignore[attr-defined]
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        out.close()
        err.close()
        res = Result(args, crash, rc, Path(out.name).read_text(encoding="utf-8"),
                     Path(err.name).read_text(encoding="utf-8"), round(time.perf_counter() - t0, 1))
        self.results.append(res)
        return res

    def hoso(self, *args: str, crash: str | None = None, key: str | None = TEST_KEY, timeout: float = 900) -> Result:
        return self.wait(self.start(*args, crash=crash, key=key), timeout)

    def copy_state(self, root: Path, landing: Path | None = None) -> "Workdir":
        """The same warehouse, snapshot and staging area in another folder (a fresh Dagster home)."""
        new = Workdir(root, landing or self.landing)
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "analytics.duckdb"):
            if (self.root / name).exists():
                shutil.copy2(self.root / name, new.root / name)
        if self.staging.exists():
            shutil.copytree(self.staging, new.staging)
        return new


def ok(res: Result) -> Result:
    assert res.returncode == 0, f"hoso {' '.join(res.args)} failed ({res.returncode}):\n{res.stderr[-3000:]}"
    return res


# ---------------------------------------------------------------- fingerprints


def connect_ro(db: Path, wait_s: float = 15.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection. Right after a run is SIGKILLed, its dbt child (killed by the kernel when its parent
    dies, PR_SET_PDEATHSIG) may hold the file a moment longer on a loaded machine: wait for it, as a run would."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(db), read_only=True)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def fingerprints(db: Path) -> dict[str, tuple[int, str]]:
    """{schema.table: (rows, content hash)} of every table, load ids and meta clocks left out (module doc)."""
    con = connect_ro(db)
    try:
        out = {}
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
                             "ORDER BY ALL").fetchall()
        for schema, table in tables:
            name = f"{schema}.{table}"
            if name in SKIP_TABLES or schema in SKIP_SCHEMAS:
                continue
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                "ORDER BY column_index", [schema, table]).fetchall()]
            exprs = []
            for c in cols:
                if c in LOAD_ID_COLUMNS:
                    exprs.append(f'("{c}" IS NULL)')
                elif schema == "meta" and c in META_CLOCKS:
                    continue
                else:
                    exprs.append(f'"{c}"')
            n, h = con.execute(f"SELECT count(*), coalesce(sum(hash({', '.join(exprs)})), 0)::VARCHAR "
                               f"FROM {schema}.{table}").fetchone()
            out[name] = (n, h)
        return out
    finally:
        con.close()


def split_units(fp: dict) -> tuple[dict, dict]:
    """(what a load writes: ref, core, meta; what the marts stage writes: marts)."""
    return ({k: v for k, v in fp.items() if not k.startswith("marts.")},
            {k: v for k, v in fp.items() if k.startswith("marts.")})


def loads(db: Path) -> list[dict]:
    con = connect_ro(db)
    try:
        return con.sql("SELECT * FROM meta.loads ORDER BY load_id").to_arrow_table().to_pylist()
    finally:
        con.close()


FIGURES_SQL = """
SELECT (SELECT list((level_key, received, online, returned, online_ratio_pct::VARCHAR) ORDER BY level_key)
        FROM marts.online_ratio_by_level WHERE is_home)::VARCHAR AS levels,
       (SELECT count(*) FROM marts.fct_case_files) AS dossiers,
       (SELECT count(*) FILTER (WHERE counted) FROM marts.fct_case_files) AS counted
"""


def figures(db: Path) -> dict:
    con = connect_ro(db)
    try:
        levels = {r[0]: r[1:] for r in con.execute(
            "SELECT level_key, received, online, returned FROM marts.online_ratio_by_level WHERE is_home").fetchall()}
        return levels
    finally:
        con.close()


def assert_manifest_figures(analytics_db: Path, landing: Path) -> None:
    cu = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))["clean_universe"]["40"]
    rows = figures(analytics_db)
    assert rows["province_wide"] == (cu["all"]["received"], cu["all"]["online"], cu["all"]["returned"])
    assert rows["province_agencies"][:2] == (cu["province_level"]["received"], cu["province_level"]["online"])
    assert rows["commune"][:2] == (cu["commune_level"]["received"], cu["commune_level"]["online"])


# ---------------------------------------------------------------- landing folders


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def landing_shas(landing: Path) -> dict[str, str]:
    return {p.relative_to(landing).as_posix(): sha256(p) for p in sorted(landing.rglob("*")) if p.is_file()}


def file_day(relpath: str) -> str | None:
    from sources.discover import classify
    from sources.registry import REFERENCE_KINDS

    kind, _seq, _obs, day = classify(relpath)
    return day.isoformat() if day and kind not in REFERENCE_KINDS and kind != "manifest" else None


def copy_landing(src: Path, dest: Path, last_day: str | None = None) -> Path:
    """A copy of a landing folder; with last_day, only the reference files and the files dated up to that day."""
    for p in sorted(src.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(src).as_posix()
        day = file_day(rel)
        if last_day and (rel == "manifest.json" or (day is not None and day > last_day)):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest / rel)
    return dest


def middle_day(landing: Path) -> str:
    days = sorted({d for p in landing.rglob("*") if p.is_file()
                   for d in [file_day(p.relative_to(landing).as_posix())] if d})
    return days[len(days) // 2 - 1]


# ---------------------------------------------------------------- the grown world: state A, then state B


@dataclass
class Grown:
    landing_half: Path
    landing_full: Path
    A: Workdir                 # the first half of the days loaded (and published)
    B: Workdir                 # then the rest: the whole small world
    fp_A: dict
    fp_B: dict
    an_A: dict
    an_B: dict
    analyst_log: Path          # what an analyst saw while B's run replaced the snapshot of A


_GROWN: dict[str, Grown] = {}


def grown_world(small_world_dir: Path, tmp_root: Path) -> Grown:
    """State A (first half of the days), then state B (all days) reached by one more `hoso run` while an analyst
    (tests/reliability/analyst.py) queries the snapshot in a loop. Built once per test session."""
    if "g" in _GROWN:
        return _GROWN["g"]
    full = copy_landing(small_world_dir, tmp_root / "landing_full")
    half = copy_landing(small_world_dir, tmp_root / "landing_half", last_day=middle_day(small_world_dir))
    A = Workdir(tmp_root / "A", half)
    ok(A.hoso("run"))
    B = A.copy_state(tmp_root / "B", full)
    stop = tmp_root / "analyst.stop"
    logs = {mode: tmp_root / f"analyst-{mode}.jsonl" for mode in ("held", "fresh")}
    analysts = [subprocess.Popen([sys.executable, str(Path(__file__).with_name("analyst.py")), mode,
                                  str(B.analytics_db), str(log), str(stop)], cwd=CHECKOUT)
                for mode, log in logs.items()]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(  # both analysts have answered once before the run starts
                log.exists() and log.stat().st_size for log in logs.values()):
            time.sleep(0.1)
        ok(B.hoso("run"))
        time.sleep(1.0)  # a few more answers from the new snapshot
    finally:
        stop.touch()
        for a in analysts:
            a.wait(timeout=60)
    log = tmp_root / "analyst.jsonl"
    log.write_text("".join(p.read_text(encoding="utf-8") for p in logs.values()), encoding="utf-8")
    g = Grown(half, full, A, B, fingerprints(A.warehouse_db), fingerprints(B.warehouse_db),
              fingerprints(A.analytics_db), fingerprints(B.analytics_db), log)
    _GROWN["g"] = g
    return g


def replay(g: Grown) -> Workdir:
    """A new warehouse that replays every landing file of the whole world in one run. Built once per session."""
    if "replay" not in _GROWN:
        work = Workdir(g.landing_full.parent / "replay", g.landing_full)
        ok(work.hoso("run"))
        _GROWN["replay"] = work
    return _GROWN["replay"]


# The build time of the marts (dbt's run start): a run forced on the same files is a new build, and says so here only.
BUILD_TIME = {"data_quality.snapshot_info": "built_at"}


def strict_fingerprints(db: Path) -> dict[str, tuple[int, str]]:
    """Like fingerprints, but every column of every table (load ids, clocks and meta.loads included), the build
    time of the marts aside (BUILD_TIME)."""
    con = connect_ro(db)
    try:
        out = {}
        for schema, table in con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
                                         "ORDER BY ALL").fetchall():
            skip = BUILD_TIME.get(f"{schema}.{table}", "")
            out[f"{schema}.{table}"] = con.execute(
                f"SELECT count(*), coalesce(sum(hash(COLUMNS(lambda c: c <> '{skip}'))), 0)::VARCHAR "
                f"FROM {schema}.{table}").fetchone()
        return out
    finally:
        con.close()
