"""`hoso rebuild`: the warehouse rebuilt from every landing file, the previous one set aside and put back if the
rebuild fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from assets.settings import Settings, pii_key
from cli.landing import check_landing, say
from cli.run import run_pipeline
from warehouse.db import WarehouseUnavailable, writer_lock
from warehouse.lake import LAKE_DATA_ENV, LAKE_ENV, lake_mode


REBUILD_SUFFIX = ".before-rebuild"


def _move(src: Path, dst: Path) -> None:
    if dst.is_dir():
        shutil.rmtree(dst)
    elif dst.exists():
        dst.unlink()
    os.replace(src, dst)


def rebuild(settings: Settings, *, ratio_definition: str = "A", allow_demo_key: bool = False, quiet: bool = False,
            debug: bool = False, instance=None) -> bool:
    """Rebuild the warehouse from every file of the landing folder: the warehouse file (with its WAL) and the
    staging area are moved aside (<name>.before-rebuild), everything is materialized into an empty warehouse, and
    if that run fails (or is interrupted) the new attempt is kept as <name>.failed-rebuild and the previous
    warehouse is put back, so a failed rebuild changes nothing."""
    if lake_mode():  # setting the local file aside would leave every table in the lake as it is
        raise WarehouseUnavailable(f"in lake mode the warehouse's tables are in the lake, not in {settings.warehouse_db}: "
                                   f"to rebuild, point {LAKE_ENV} and {LAKE_DATA_ENV} at a new catalog and folder and "
                                   "run `hoso run`")
    check_landing(settings)
    pii_key(allow_demo=allow_demo_key)  # fail before moving anything
    wh = settings.warehouse_db
    parts = [wh, Path(str(wh) + ".wal"), settings.staging_dir]
    moved: list[Path] = []
    # Under the writer lock, so no run is half-way through the old file while it moves.
    with writer_lock(wh):
        for src in parts:
            if src.exists():
                _move(src, Path(str(src) + REBUILD_SUFFIX))
                moved.append(src)
    if not quiet:
        say(f"rebuild: the previous warehouse is set aside as {wh.name}{REBUILD_SUFFIX}" if moved else
             f"rebuild: no previous warehouse at {wh}")
    ok = False
    try:
        ok = run_pipeline(settings, ratio_definition=ratio_definition, allow_demo_key=allow_demo_key, quiet=quiet,
                          debug=debug, command="rebuild", instance=instance)
    finally:
        if not ok:
            with writer_lock(wh):
                for src in parts:
                    if src.exists():
                        _move(src, Path(str(src) + ".failed-rebuild"))
                for src in moved:
                    os.replace(Path(str(src) + REBUILD_SUFFIX), src)
            say(f"rebuild failed: the previous warehouse is back at {wh} (unchanged); the failed attempt is kept "
                 f"as {wh.name}.failed-rebuild for a look")
    if ok and moved and not quiet:
        say(f"rebuild: the previous warehouse is kept as {wh}{REBUILD_SUFFIX}; delete it when you no longer need it")
    return ok
