"""The marts' dbt project (warehouse/dbt_project.yml, models/, macros/, tests/): its parameters, its manifest, and
dbt runs outside Dagster (tests, the documentation site).

Every dbt process is started through `hoso-dbt` (warehouse/dbt_launcher.py): it dies with its parent and never
reaches the network. Each invocation writes its artifacts into its own folder under `target/runs/`, so concurrent
runs do not share one; `target/` (gitignored) also holds the project's manifest, which Dagster needs to define the
assets and which is produced here when it is missing or older than a file of the project, and the project as
parsed for each set of vars and warehouse name (`parse_states/`), which hoso-dbt hands to dbt instead of a parse.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from warehouse.db import MEMORY_LIMIT_ENV, process_alive
from warehouse.dbt_launcher import OFFLINE_ENV, PARENT_PID_ENV, PARSED_PROJECT_ENV
from warehouse.lake import lake_from_env

PROJECT_DIR = Path(__file__).resolve().parent
TARGET_DIR = PROJECT_DIR / "target"
MANIFEST = TARGET_DIR / "manifest.json"
RUNS_DIR = TARGET_DIR / "runs"
PARSE_STATES_DIR = TARGET_DIR / "parse_states"
# Parses kept (~1.2 MB each): the warehouse names and vars used last on this checkout (`warehouse` and a lake worker's
# session file; each definition of the ratio).
PARSE_STATES_KEPT = 8
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "tests")
WAREHOUSE_ENV = "HOSO_WAREHOUSE_DB"

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEFINITIONS = ("A", "B", "C", "D")
PACKAGE = "hoso-warehouse"


@lru_cache(maxsize=1)
def code_version() -> str:
    """The version of the code that builds the marts, for data_quality.snapshot_info: `<package version>+<git
    commit, 12 hex>` in a git checkout, the package version alone outside one, 'unknown' when neither is known."""
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        version = ""
    try:
        res = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                             text=True, timeout=5)
        commit = res.stdout.strip() if res.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    if version and commit:
        return f"{version}+{commit}"
    return version or (f"unknown+{commit}" if commit else "unknown")


@dataclass(frozen=True)
class MartParams:
    """The parameters of the marts (dbt vars): the reporting window, the home province, the online-ratio definition
    (A-D) and the commune target; and the code version, written into data_quality.snapshot_info. The definition is
    named in every output that depends on it."""

    window_start: datetime = datetime(2025, 7, 1, 0, 0, tzinfo=VN)
    window_end: datetime = datetime(2025, 8, 6, 16, 0, tzinfo=VN)
    home_province: str = "40"
    ratio_definition: str = "A"
    commune_target_pct: float = 70.0
    code_version: str = field(default_factory=code_version)

    def __post_init__(self) -> None:
        if self.ratio_definition not in DEFINITIONS:
            raise ValueError(f"ratio_definition must be one of {', '.join(DEFINITIONS)}, not {self.ratio_definition!r}")
        if self.window_start.tzinfo is None or self.window_end.tzinfo is None:
            raise ValueError("the reporting window needs time-zone-aware bounds")
        if self.window_end <= self.window_start:
            raise ValueError("the reporting window ends before it starts")
        if not self.home_province.isalnum():
            raise ValueError(f"home_province must be a province code, not {self.home_province!r}")

    def dbt_vars(self) -> dict:
        return {"window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
                "home_province": self.home_province, "ratio_definition": self.ratio_definition,
                "commune_target_pct": float(self.commune_target_pct), "code_version": self.code_version}


def launcher() -> str:
    """The `hoso-dbt` executable of this environment."""
    exe = Path(sys.executable).with_name("hoso-dbt")
    found = str(exe) if exe.exists() else shutil.which("hoso-dbt")
    if not found:
        raise FileNotFoundError("hoso-dbt is not installed in this environment: run ./dev once (pip install -e .)")
    return found


def dbt_env(database: Path | str) -> dict[str, str]:
    """What a dbt process of the project needs in its environment: the warehouse file (profiles.yml reads
    HOSO_WAREHOUSE_DB), the project and profile folder, and nothing sent out. No dbt.log unless DBT_LOG_LEVEL_FILE
    asks for one: it goes to the invocation's target folder, which is removed when the run ends, and writing it at
    dbt's default (debug: every statement) cost ~1.2 s of a 13 s build; what Dagster shows comes from stdout."""
    env = {WAREHOUSE_ENV: str(database), "DBT_PROFILES_DIR": str(PROJECT_DIR), "DBT_PROJECT_DIR": str(PROJECT_DIR),
           PARENT_PID_ENV: str(os.getpid()), "DBT_TARGET": "lake" if lake_from_env() else "warehouse",
           "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "none"), **OFFLINE_ENV}
    if not os.environ.get(MEMORY_LIMIT_ENV):
        env[MEMORY_LIMIT_ENV] = "1GB"
    return env


@contextlib.contextmanager
def dbt_environment(database: Path | str,
                    params: MartParams | None = None) -> Iterator[dict[str, str]]:
    """os.environ as dbt_env() for the dbt processes started inside the block (dagster-dbt builds the child's
    environment from os.environ), and with params the project parsed for them (parsed_project_env), restored
    afterwards. Yields what it set."""
    env = {**dbt_env(database), **(parsed_project_env(database, params) if params else {})}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def new_target_path(label: str = "run") -> Path:
    """A folder of its own for one dbt invocation's artifacts and log (target/runs/<label>-<pid>-<random>); the
    folders of processes that died before removing theirs are removed here."""
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    for old in RUNS_DIR.iterdir():
        pid = old.name.split("-")[1] if old.name.count("-") >= 2 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return RUNS_DIR / f"{label}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def project_mtime() -> float:
    paths = [PROJECT_DIR / f for f in PROJECT_FILES]
    for folder in PROJECT_FOLDERS:
        paths += [p for p in (PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in paths)


def manifest_is_current() -> bool:
    return MANIFEST.exists() and MANIFEST.stat().st_mtime >= project_mtime()


def ensure_manifest(database: Path | str | None = None) -> Path:
    """target/manifest.json, produced by `dbt parse` when missing or older than a file of the project. Under a lock:
    two processes loading the definitions at once parse once; the files are renamed into place whole."""
    if manifest_is_current():
        return MANIFEST
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    with open(TARGET_DIR / ".parse.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if manifest_is_current():
                return MANIFEST
            tmp = new_target_path("parse")
            try:
                # With the default vars and the warehouse of the environment (`dbt parse` opens no database).
                parsed_on = database or os.environ.get(WAREHOUSE_ENV) or ":memory:"
                run_dbt(["parse"], parsed_on, MartParams(), target_path=tmp)
                # The parses of the project before are dropped; this one is kept for runs with the default vars
                # on a warehouse of this name (the manifest is renamed into place last: from then on it is current).
                shutil.rmtree(PARSE_STATES_DIR, ignore_errors=True)
                PARSE_STATES_DIR.mkdir(parents=True, exist_ok=True)
                if (tmp / "partial_parse.msgpack").exists():
                    os.replace(tmp / "partial_parse.msgpack", parse_state_path(parsed_on, MartParams()))
                os.replace(tmp / "manifest.json", MANIFEST)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return MANIFEST


def parse_state_path(database: Path | str, params: MartParams | None) -> Path:
    """Where the project as parsed by dbt runs with these vars on a warehouse of this name is kept (dbt's
    partial_parse.msgpack: its Manifest). The parse depends on the vars, the target and the database names the
    relations get (the file's stem, profiles.yml), not on the file's folder: runs on any warehouse of that name
    reuse it (hoso-dbt, PARSED_PROJECT_ENV)."""
    name = Path(str(database)).stem if str(database) != ":memory:" else "memory"
    key = json.dumps({"target": "lake" if lake_from_env() is not None else "warehouse", "database": name,
                      "vars": params.dbt_vars() if params else None}, sort_keys=True)
    return PARSE_STATES_DIR / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.msgpack"


def parsed_project_env(database: Path | str, params: MartParams | None) -> dict[str, str]:
    """The environment entry that lets the dbt process of a run skip parsing (hoso-dbt): the project parsed for
    these vars and this database name, while the manifest is current (a change to the project drops the kept
    parses); empty when none is kept, and dbt parses."""
    state = parse_state_path(database, params)
    if not manifest_is_current():
        return {}
    try:
        os.utime(state)  # used last: kept the longest (keep_parse_state)
    except FileNotFoundError:
        return {}
    return {PARSED_PROJECT_ENV: str(state)}


def keep_parse_state(target: Path, database: Path | str, params: MartParams | None,
                     env: dict[str, str]) -> None:
    """Keep the parse of a finished run that parsed the project (`env`, its environment, named no parsed project),
    for the next runs with the same vars on a warehouse of the same name (only while the manifest is current); the
    PARSE_STATES_KEPT used last are kept. A run given a parsed project leaves no parse of its own in its target
    folder, or one that is not its own (dagster-dbt copies the project's target/partial_parse.msgpack there)."""
    state = target / "partial_parse.msgpack"
    if PARSED_PROJECT_ENV in env or not state.exists() or not manifest_is_current():
        return
    PARSE_STATES_DIR.mkdir(parents=True, exist_ok=True)
    out = parse_state_path(database, params)
    tmp = PARSE_STATES_DIR / f".{out.name}.{os.getpid()}.tmp"
    shutil.copyfile(state, tmp)
    os.replace(tmp, out)
    kept = sorted(PARSE_STATES_DIR.glob("*.msgpack"), key=_mtime, reverse=True)
    for old in kept[PARSE_STATES_KEPT:]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed by another process keeping its own
        return 0.0


class DbtError(RuntimeError):
    """A dbt command failed; the message carries the end of its log."""


def run_dbt(args: list[str], database: Path | str, params: MartParams | None = None,
            target_path: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `dbt <args>` on the warehouse file `database` (the caller holds its writer lock when dbt writes).
    With params, they are passed as --vars. Artifacts go to target_path (a new folder of its own by default)."""
    target = target_path or new_target_path(args[0])
    cmd = [launcher(), *args]
    if params is not None:
        cmd += ["--vars", json.dumps(params.dbt_vars())]
    env = {**os.environ, **dbt_env(database), **parsed_project_env(database, params), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(target)}
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    res.seconds = round(time.perf_counter() - t0, 3)  # type: ignore[attr-defined]
    if check and res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-40:])
        raise DbtError(f"dbt {' '.join(args)} failed (exit {res.returncode}):\n{tail}")
    if res.returncode == 0:
        keep_parse_state(target, database, params, env)
    return res


def build_marts(database: Path | str, params: MartParams = MartParams(), select: str | None = None) -> dict:
    """`dbt build` (models and their tests) on the warehouse file, outside Dagster; returns the run results
    ({unique_id: status}) and the seconds it took. The caller holds the writer lock and has no open connection."""
    target = new_target_path("build")
    try:
        args = ["build"] + (["--select", select] if select else [])
        res = run_dbt(args, database, params, target_path=target, check=False)
        results = json.loads((target / "run_results.json").read_text()) if (target / "run_results.json").exists() \
            else {"results": []}
        out = {"statuses": {r["unique_id"]: r["status"] for r in results["results"]}, "seconds": res.seconds,
               "returncode": res.returncode, "log": res.stdout[-20000:]}
        return out
    finally:
        shutil.rmtree(target, ignore_errors=True)


DOCS_CACHE = TARGET_DIR / "dbt_docs.html"


def _copy(src: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, out)
    return out


def copy_docs(docs_dir: Path | str) -> Path | None:
    """<docs_dir>/dbt_docs.html from the site generated last, when that is current: the site shows the project
    (manifest) and the columns of its relations (catalog), which change only with the project. None when the site
    must be generated again (generate_docs)."""
    if not (DOCS_CACHE.exists() and manifest_is_current() and DOCS_CACHE.stat().st_mtime >= MANIFEST.stat().st_mtime):
        return None
    return _copy(DOCS_CACHE, Path(docs_dir) / "dbt_docs.html")


def generate_docs(database: Path | str, docs_dir: Path | str, params: MartParams = MartParams()) -> Path:
    """The documentation site of the marts, `dbt docs generate --static`: one self-contained HTML file (works
    offline), written to <docs_dir>/dbt_docs.html (~10 s on the sample world) and kept in target/ for copy_docs.
    It reads the warehouse's catalog: the caller holds the writer lock and has no connection open on the file.
    Returns its path."""
    ensure_manifest(database)
    target = new_target_path("docs")
    try:
        run_dbt(["docs", "generate", "--static"], database, params, target_path=target)
        _copy(target / "static_index.html", DOCS_CACHE)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return _copy(DOCS_CACHE, Path(docs_dir) / "dbt_docs.html")
