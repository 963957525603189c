"""The import contract (pyproject.toml [tool.importlinter]) holds, and it would catch an upward import or a cycle.

Layers, bottom to top: sources, expectations, stages, warehouse, reports, assets, pipelines, cli; samples imports only
sources; bench nothing of the Dagster side; nothing below the assets imports Dagster, and nothing of the project
imports Dagster's private modules (dagster._core, ...).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("sources", "expectations", "stages", "warehouse", "reports", "assets", "pipelines", "samples", "bench",
            "cli")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    # lint-imports reads ./pyproject.toml and finds the packages from the working folder first.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_import_contract_holds() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The project's packages (Python files only) and its pyproject.toml, in a folder of their own."""
    for name in PACKAGES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.json",
                                                                                          "*.sql", "*.csv", "*.md"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_copy_is_linted_like_the_project(copy: Path) -> None:
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_layers(copy: Path) -> None:
    add_line(copy / "sources" / "errors.py", "import warehouse.db  # upward: sources must not know the warehouse")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "Layers: imports only go downwards BROKEN" in result.stdout
    assert "sources is not allowed to import warehouse" in result.stdout
    assert "sources.errors -> warehouse.db" in result.stdout


def test_a_cycle_inside_a_package_breaks_the_contract(copy: Path) -> None:
    # stages.extract imports stages.staging; staging importing extract closes a cycle
    add_line(copy / "stages" / "staging.py", "import stages.extract  # a cycle")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "No import cycle inside a package BROKEN" in result.stdout
    assert "No cycles are allowed in stages" in result.stdout
    assert ".staging -> .extract" in result.stdout or ".extract -> .staging" in result.stdout


def test_an_import_hidden_in_a_function_is_seen(copy: Path) -> None:
    add_line(copy / "stages" / "validate.py", "def _late():\n    from assets import tables  # noqa\n")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "stages.validate -> assets.tables" in result.stdout


def test_samples_import_only_sources_and_nothing_imports_dagster_privates(copy: Path) -> None:
    add_line(copy / "samples" / "clock.py", "import stages.staging")
    add_line(copy / "assets" / "tables.py", "from dagster._core.utils import make_new_run_id  # noqa")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "samples imports only sources BROKEN" in result.stdout
    assert "samples.clock -> stages.staging" in result.stdout
    assert "Dagster's private modules (dagster._core, ...) are imported by Dagster only BROKEN" in result.stdout
    assert "assets.tables -> dagster._core.utils" in result.stdout
