"""The proposed marts (proposed_marts/*.sql, dbt model bodies) built into a warehouse connection without dbt: the
Jinja calls they use are replaced by their values ({{ ref('x') }} -> marts.x, {{ source('a', 'b') }} -> a.b,
{{ var('window_end') }} and {{ var('home_province') }} -> the MartParams'), so that tests and a hand-made snapshot
can show the report sections that read them."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from warehouse.dbt_runner import MartParams

FOLDER = Path(__file__).resolve().parents[1] / "proposed_marts"


def names() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.sql"))


def plain_sql(name: str, params: MartParams = MartParams()) -> str:
    text = (FOLDER / f"{name}.sql").read_text(encoding="utf-8")
    values = {"window_end": params.window_end.isoformat(), "window_start": params.window_start.isoformat(),
              "home_province": params.home_province, "ratio_definition": params.ratio_definition,
              "commune_target_pct": str(params.commune_target_pct)}
    text = re.sub(r"\{\{\s*config\([^)]*\)\s*\}\}", "", text)
    text = re.sub(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}", r"marts.\1", text)
    text = re.sub(r"\{\{\s*source\(\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]\s*\)\s*\}\}", r"\1.\2", text)
    text = re.sub(r"\{\{\s*var\(\s*['\"](\w+)['\"]\s*\)\s*\}\}", lambda m: values[m.group(1)], text)
    if "{{" in text or "{%" in text:
        raise ValueError(f"proposed_marts/{name}.sql uses Jinja this helper does not replace")
    return f"CREATE OR REPLACE TABLE marts.{name} AS\n{text}"


def build(con: duckdb.DuckDBPyConnection, params: MartParams = MartParams()) -> list[str]:
    """Create every proposed mart in `con` (a warehouse whose marts are built); returns their names."""
    for name in names():
        con.execute(plain_sql(name, params))
    return names()
