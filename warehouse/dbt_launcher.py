"""`hoso-dbt`: the dbt executable the project runs (Dagster's DbtCliResource and warehouse.dbt_runner).

It execs the real `dbt` of this environment after two things dbt does not do itself:

- the dbt process dies with the process that started it (Linux PR_SET_PDEATHSIG = SIGKILL): a pipeline run killed
  with SIGKILL must not leave a dbt child writing the warehouse after the writer lock it held is released (the
  next run would take the lock and collide with it);
- nothing goes out: anonymous usage statistics and the version check are off, and `--version` (which dagster-dbt
  asks at every invocation, and which makes dbt query the package index for the latest release) is answered from
  the installed package;
- a project already parsed for the run's vars (HOSO_DBT_PARSED_PROJECT) is not parsed again: dbt runs in this
  process on it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from importlib.metadata import version
from pathlib import Path

PARENT_PID_ENV = "HOSO_DBT_PARENT_PID"
PR_SET_PDEATHSIG = 1

OFFLINE_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false"}
# The project as parsed for this run's vars and database name (warehouse.dbt_runner.parse_state_path), when one is
# kept: dbt's own partial parsing would not reuse it for a warehouse file elsewhere (it compares the profile, path
# included) and would parse the whole project again, 3-5 s.
PARSED_PROJECT_ENV = "HOSO_DBT_PARSED_PROJECT"


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies; exit now if the parent is already gone."""
    expected = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != expected:  # the parent died before prctl: nobody would kill us later
        os._exit(1)


def run_with_manifest(args: list[str], state: Path) -> int | None:
    """`dbt <args>` in this process on the project already parsed in `state` (a dbt Manifest as dbt serializes it,
    its partial_parse.msgpack), through dbt's programmatic entry point, which takes a parsed manifest and then
    parses nothing; dbt's exit code. None when the state cannot be read (removed meanwhile, or written by another
    dbt version): then dbt parses the project itself."""
    try:
        from dbt.cli.main import dbtRunner
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        manifest = Manifest.from_msgpack(state.read_bytes(), decoder=extended_mashumuro_decoder)
    except Exception:  # noqa: BLE001 - any unreadable state means the same: parse
        return None
    res = dbtRunner(manifest=manifest).invoke(args)
    return 0 if res.success else 2 if res.exception is not None else 1  # dbt's own: 1 failed, 2 errored


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-v"], ["version"]):
        print(f"Core:\n  - installed: {version('dbt-core')}\n\nPlugins:\n  - duckdb: {version('dbt-duckdb')}")
        return
    os.environ.update(OFFLINE_ENV)
    die_with_parent()
    state = os.environ.pop(PARSED_PROJECT_ENV, "")
    if state and args and args[0] != "parse":
        code = run_with_manifest(args, Path(state))
        if code is not None:
            sys.exit(code)
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *args])


if __name__ == "__main__":
    main()
