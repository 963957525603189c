"""The validation layer: Great Expectations suites as JSON (expectations/suites/, one per entity) and the code that
runs them on the canonical Polars frames.

    from expectations import validate, split, build_data_docs
    outcome = validate("dossiers", frame, {"procedure_codes": codes, "as_of": as_of})
    clean, quarantined = split(frame, outcome)
    build_data_docs([outcome], Path("data/docs"))

suites.py reads and checks the suite files (no GX import), runner.py validates and splits, gx_context.py holds the one
ephemeral GX context of the process, docs.py writes GX's HTML data docs, reasons.py lists the reason names.
See expectations/README.md.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Outcome": "runner",
    "validate": "runner",
    "split": "runner",
    "validate_and_split": "runner",
    "resolve_parameters": "runner",
    "build_data_docs": "docs",
    "has_suite": "suites",
    "load_suite": "suites",
    "suite_names": "suites",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):  # lazy, so that `python -m expectations.suites` and `import expectations` stay light
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"expectations.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'expectations' has no attribute {name!r}")
