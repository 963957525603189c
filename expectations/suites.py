"""The expectation suites: one JSON file per entity in expectations/suites/, as Great Expectations 1.x writes them
(`ExpectationSuite.to_json_dict()`), indented by 2 with sorted keys so that a change reads well in a diff.

What this project adds to GX's own format, all inside fields GX keeps:

- each expectation's `id` is a stable readable name (`dossiers.channel_known`); GX replaces ids when a suite is added
  to a context, so the runner maps the results back to these names (they key meta.validations);
- each expectation's `meta` holds `severity` (critical: the row is quarantined; warning: the row loads and the
  warning is counted; it repeats GX's own `severity` field, and the loader checks that both agree), `reason` (one of
  expectations/reasons.py) and `scope` (`row`: failures point at rows; `table`: the batch as a whole); optionally
  `evidence_columns`, columns shown next to the failing value (e.g. `received_at_raw` when `received_at` is null);
- the suite's `meta.derived_columns` maps a helper column name to a Polars SQL expression over the frame
  (e.g. `_is_online`), computed before validation for the aggregate checks GX has no expectation for;
- the suite's `meta.parameters` documents the run-time parameters (`{"$PARAMETER": name}` in an expectation's
  kwargs), which the runner fills from the caller's context (expectations/runner.py).

This module does not import Great Expectations (it is slow to import); `python -m expectations.suites` checks that
every file is in canonical form, `--write` rewrites them so.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from expectations.reasons import SCOPES, SEVERITIES, SEVERITY, is_personal

SUITES_DIR = Path(__file__).parent / "suites"

# Expectation types that evaluate each row (GX map expectations); only these can have scope "row".
_ROW_TYPE_PREFIXES = (
    "expect_column_values_",
    "expect_column_pair_values_",
    "expect_compound_columns_",
    "expect_multicolumn_values_",
    "expect_select_column_values_",
)


class SuiteError(ValueError):
    """A suite file breaks the rules above."""


@dataclass(frozen=True)
class Check:
    """One expectation of a suite, as the runner sees it."""

    id: str  # stable name from the JSON, e.g. "dossiers.channel_known"
    type: str  # GX expectation type, e.g. "expect_column_values_to_be_in_set"
    columns: tuple[str, ...]  # the columns it reads (column, column_A/column_B, column_list); () for table checks
    severity: str  # critical | warning
    reason: str
    scope: str  # row | table
    description: str | None = None
    evidence: tuple[str, ...] = ()  # meta.evidence_columns: shown with the failing value when the frame has them

    @property
    def column_label(self) -> str:
        return ", ".join(self.columns)

    @property
    def personal(self) -> bool:
        return any(is_personal(c) for c in self.columns)


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    document: dict[str, Any]  # the JSON as loaded, for gx.ExpectationSuite(**document)
    checks: tuple[Check, ...]
    derived_columns: dict[str, str] = field(default_factory=dict)  # name -> Polars SQL expression
    parameters: tuple[str, ...] = ()  # $PARAMETER names used in the kwargs

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the checks read, in first-use order (derived helper columns included)."""
        seen: dict[str, None] = {}
        for check in self.checks:
            seen.update(dict.fromkeys(check.columns))
        return tuple(seen)


def suite_path(name: str) -> Path:
    return SUITES_DIR / f"{name}.json"


def suites_digest() -> str:
    """sha256 over every suite file (name and bytes): a validation made under other suites is out of date."""
    digest = hashlib.sha256()
    for name in suite_names():
        digest.update(name.encode() + b"\0" + suite_path(name).read_bytes() + b"\0")
    return digest.hexdigest()


def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def has_suite(name: str) -> bool:
    return suite_path(name).is_file()


def dumps(document: dict[str, Any]) -> str:
    """The canonical text of a suite file."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@cache
def load_suite(name: str) -> SuiteSpec:
    """Read and check expectations/suites/<name>.json (cached per process)."""
    path = suite_path(name)
    if not path.is_file():
        raise KeyError(f"no expectation suite for entity {name!r} ({path})")
    document = json.loads(path.read_text(encoding="utf-8"))
    return parse_suite(document, source=str(path))


def parse_suite(document: dict[str, Any], source: str = "<suite>") -> SuiteSpec:
    name = document.get("name")
    if not name:
        raise SuiteError(f"{source}: suite has no name")
    checks = []
    for i, exp in enumerate(document.get("expectations", [])):
        where = f"{source}: expectation {i} ({exp.get('id')})"
        meta = exp.get("meta") or {}
        severity, reason, scope = meta.get("severity"), meta.get("reason"), meta.get("scope")
        if severity not in SEVERITIES:
            raise SuiteError(f"{where}: meta.severity must be one of {SEVERITIES}, not {severity!r}")
        if exp.get("severity", "critical") != severity:
            raise SuiteError(f"{where}: GX severity {exp.get('severity')!r} differs from meta.severity {severity!r}")
        if reason not in SEVERITY:
            raise SuiteError(f"{where}: reason {reason!r} is not in expectations/reasons.py")
        if SEVERITY[reason] != severity:
            raise SuiteError(f"{where}: reason {reason!r} is {SEVERITY[reason]} (expectations/reasons.py), "
                             f"not {severity}")
        if scope not in SCOPES:
            raise SuiteError(f"{where}: meta.scope must be one of {SCOPES}, not {scope!r}")
        if scope == "row" and not exp["type"].startswith(_ROW_TYPE_PREFIXES):
            raise SuiteError(f"{where}: {exp['type']} does not evaluate rows, its scope must be 'table'")
        if not exp.get("id"):
            raise SuiteError(f"{where}: expectation has no id")
        checks.append(
            Check(
                id=exp["id"],
                type=exp["type"],
                columns=_columns(exp.get("kwargs") or {}),
                severity=severity,
                reason=reason,
                scope=scope,
                description=exp.get("description"),
                evidence=tuple(meta.get("evidence_columns") or ()),
            )
        )
    ids = [c.id for c in checks]
    if len(ids) != len(set(ids)):
        raise SuiteError(f"{source}: duplicate expectation ids")
    suite_meta = document.get("meta") or {}
    return SuiteSpec(
        name=name,
        document=document,
        checks=tuple(checks),
        derived_columns=dict(suite_meta.get("derived_columns") or {}),
        parameters=tuple(sorted(_parameters(document.get("expectations", [])))),
    )


def _columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    if "column" in kwargs:
        return (kwargs["column"],)
    if "column_A" in kwargs:
        return (kwargs["column_A"], kwargs["column_B"])
    if "column_list" in kwargs:
        return tuple(kwargs["column_list"])
    return ()


def _parameters(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"$PARAMETER"}:
            return {node["$PARAMETER"]}
        return set().union(*(_parameters(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_parameters(v) for v in node)) if node else set()
    return set()


def main(argv: list[str] | None = None) -> int:
    """Check (default) or rewrite (--write) every suite file in canonical form; also parses each one."""
    args = sys.argv[1:] if argv is None else argv
    bad = 0
    for name in suite_names():
        path = suite_path(name)
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
        parse_suite(document, source=str(path))
        if text != dumps(document):
            if "--write" in args:
                path.write_text(dumps(document), encoding="utf-8")
                print(f"rewrote {path}")
            else:
                print(f"not canonical: {path}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
