"""What every command needs before Dagster starts: one-line messages on stderr and the landing folder's check.
Standard library only, so `hoso run` can decide "nothing new" without importing Dagster."""

from __future__ import annotations

import os
import sys

from assets.settings import Settings, SettingsError


def _terminal_stderr():
    """A descriptor of its own on the stderr the command started with. While a run executes, Dagster's compute-log
    capture points descriptor 2 at a file and copies it back with `tail -F`, which it stops when the run ends: under
    load before the last lines are copied (dagster-io/dagster#23336), and the progress of the last step was lost."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8", errors="backslashreplace", buffering=1)
    except (AttributeError, OSError, ValueError):  # a stderr without a descriptor (embedded, some test runners)
        return sys.stderr


TERMINAL_STDERR = _terminal_stderr()


def say(msg: str) -> None:
    print(msg, file=TERMINAL_STDERR, flush=True)


def check_landing(settings: Settings) -> None:
    landing = settings.landing_dir
    if not landing.exists():
        raise SettingsError(f"the landing folder {landing} does not exist: set HOSO_LANDING_DIR to the folder the "
                            "exports arrive in, or run `hoso sample` to write the sample world there")
    if not landing.is_dir():
        raise SettingsError(f"the landing folder {landing} is not a folder: set HOSO_LANDING_DIR to a folder")
    if not any(landing.iterdir()):
        raise SettingsError(f"the landing folder {landing} is empty: put exports there or run `hoso sample`")
