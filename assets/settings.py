"""Settings read from the environment, each with a default inside the checkout, and the PII key. Standard library
only: the `hoso` command line reads them before Dagster is imported."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]

# The demo key is public on purpose: it only pseudonymises the synthetic sample world. Real exports need a secret.
DEMO_PII_KEY = "hoso-demo-key-not-secret"


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_db: Path
    analytics_db: Path
    dagster_home: Path
    docs_dir: Path

    @property
    def staging_dir(self) -> Path:
        """Where the stages hand frames to each other: beside the warehouse file."""
        return self.warehouse_db.parent / "staging"

    @classmethod
    def from_env(cls) -> "Settings":
        def path(name: str, default: str) -> Path:
            return Path(os.environ.get(name) or CHECKOUT / default).resolve()

        return cls(
            landing_dir=path("HOSO_LANDING_DIR", "data/landing"),
            warehouse_db=path("HOSO_WAREHOUSE_DB", "data/warehouse.duckdb"),
            analytics_db=path("HOSO_ANALYTICS_DB", "data/analytics.duckdb"),
            dagster_home=path("DAGSTER_HOME", "data/dagster_home"),
            docs_dir=path("HOSO_DOCS_DIR", "data/docs"),
        )


def pii_key(allow_demo: bool = False) -> str:
    """The secret of the keyed hash that pseudonymises personal values (HOSO_PII_KEY)."""
    key = os.environ.get("HOSO_PII_KEY", "")
    if key and len(key) < 16:
        raise SettingsError("HOSO_PII_KEY is too short: use a secret of at least 16 characters")
    if key:
        return key
    if allow_demo:
        return DEMO_PII_KEY
    raise SettingsError(
        "HOSO_PII_KEY is not set: set it to a secret of at least 16 characters "
        "(personal values are pseudonymised with it), or use `hoso demo` on the sample world"
    )


PROVINCES_ENV = "HOSO_PROVINCES"


def provinces() -> tuple[str, ...]:
    """The provinces of a warehouse partitioned by province and day (HOSO_PROVINCES: two-digit codes separated by
    commas, the home province first, e.g. `40,01,04`); empty without it: partitions by day only, the default."""
    text = os.environ.get(PROVINCES_ENV, "").strip()
    if not text:
        return ()
    codes = tuple(c.strip() for c in text.split(","))
    bad = [c for c in codes if not re.fullmatch(r"\d{2}", c)]
    if bad:
        raise SettingsError(f"{PROVINCES_ENV}={text!r}: {', '.join(map(repr, bad))} is not a two-digit province code "
                            "(e.g. HOSO_PROVINCES=40,01,04, the home province first)")
    if len(set(codes)) != len(codes):
        raise SettingsError(f"{PROVINCES_ENV}={text!r} names a province twice")
    return codes
