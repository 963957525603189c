"""`hoso-dbt`: the dbt executable the project runs (Dagster's DbtCliResource and warehouse.dbt_runner).

It execs the real `dbt` of this environment after two things dbt does not do itself:

- the dbt process dies with the process that started it (Linux PR_SET_PDEATHSIG = SIGKILL): a pipeline run killed
  with SIGKILL must not leave a dbt child writing the warehouse after the writer lock it held is released (the
  next run would take the lock and collide with it);
- nothing goes out: anonymous usage statistics and the version check are off, and `--version` (which dagster-dbt
  asks at every invocation, and which makes dbt query the package index for the latest release) is answered from
  the installed package.
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


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies; exit now if the parent is already gone."""
    expected = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != expected:  # the parent died before prctl: nobody would kill us later
        os._exit(1)


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-v"], ["version"]):
        print(f"Core:\n  - installed: {version('dbt-core')}\n\nPlugins:\n  - duckdb: {version('dbt-duckdb')}")
        return
    os.environ.update(OFFLINE_ENV)
    die_with_parent()
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *args])


if __name__ == "__main__":
    main()
