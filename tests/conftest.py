"""Session fixtures shared by the test files: the sample world, generated once per session.

- `world_dir`: the full world (scale 1, default seed): the report's exact figures; ~25 s and ~1.5 GB of files.
- `small_world_dir`: scale 0.01, for fast tests of shapes, defects and the manifest.
- `national_world_dir`: all 34 provinces (`provinces=33`) at scale 0.005: the national snapshot against records.

tests/lake (lake mode) is collected only in the lake environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from samples.generate import generate_world
from warehouse.lake import AVAILABLE as LAKE_AVAILABLE

LAKE_TESTS = Path(__file__).parent / "lake"
# Modules that start from one session-cached state too costly to build twice (reliability/harness.grown_world: two
# `hoso run` of the small world while analysts query, ~2 min): `./dev test` hands them to one test process.
SHARED_STATE = {f"tests/{m}.py": "tests/grown_world" for m in ("test_concurrency", "test_crash_safety",
                                                                "test_personal_data")}


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's loadfile scheduling (a module's tests in one process), with the SHARED_STATE modules as one
    unit."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedStateScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SHARED_STATE.get(scope, scope)

    return SharedStateScheduling(config, log)


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """tests/lake needs the lake environment (DuckDB 1.5.5 with the DuckLake wheels, requirements-lake.lock): `./dev
    test` runs it there, after the main suite; the main environment leaves it out."""
    if not LAKE_AVAILABLE and (collection_path == LAKE_TESTS or LAKE_TESTS in collection_path.parents):
        return True
    return None


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world") / "landing"
    generate_world(out)
    return out


@pytest.fixture(scope="session")
def small_world_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small_world") / "landing"
    generate_world(out, scale=0.01)
    return out


@pytest.fixture(scope="session")
def national_world_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("national_world") / "landing"
    generate_world(out, scale=0.005, provinces=33)
    return out
