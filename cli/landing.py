"""What every command needs before Dagster starts: one-line messages on stderr and the landing folder's check.
Standard library only, so `hoso run` can decide "nothing new" without importing Dagster."""

from __future__ import annotations

import sys

from assets.settings import Settings, SettingsError


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check_landing(settings: Settings) -> None:
    landing = settings.landing_dir
    if not landing.exists():
        raise SettingsError(f"the landing folder {landing} does not exist: set HOSO_LANDING_DIR to the folder the "
                            "exports arrive in, or run `hoso sample` to write the sample world there")
    if not landing.is_dir():
        raise SettingsError(f"the landing folder {landing} is not a folder: set HOSO_LANDING_DIR to a folder")
    if not any(landing.iterdir()):
        raise SettingsError(f"the landing folder {landing} is empty: put exports there or run `hoso sample`")
