"""marts.indicators and marts.indicator_ranking after a whole `hoso run` of the national world (34 provinces), against
the expected values the generator wrote into the manifest from its own ground truth (samples/indicators.py): every
indicator, at every grain the manifest gives and every period, exactly; the national ranking recomputed here from the
manifest's values; and, on the small test world, provinces without records ranked on the snapshot file's value."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

import snapshot_world as w
from test_pipeline import make_settings, run

KEY = ("province_code", "grain", "key", "period_type", "period_key", "indicator", "definition")


def manifest_rows(manifest: dict) -> dict[tuple, tuple[int, int, int]]:
    cols = manifest["indicator_columns"]
    rows = [dict(zip(cols, r)) for r in manifest["indicators"]]
    return {tuple(r[k] for k in KEY): (r["numerator"], r["denominator"], r["not_from_portal"]) for r in rows}


def mart_rows(analytics_db, grains: tuple[str, ...], home: str) -> dict[tuple, tuple[int, int, int]]:
    con = duckdb.connect(str(analytics_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT province_code, grain, grain_key, period_type, period_key, indicator, definition, numerator, "
            "denominator, not_from_portal FROM marts.indicators "
            "WHERE grain IN (SELECT unnest(?)) AND (grain <> 'unit' OR province_code = ?)", [list(grains), home]
        ).fetchall()
    finally:
        con.close()
    return {r[:7]: r[7:] for r in rows}


def pct(num: int, den: int) -> Decimal | None:
    return (Decimal(100 * num) / Decimal(den)).quantize(Decimal("0.01"), ROUND_HALF_UP) if den else None


def published_online(landing) -> dict[str, Decimal]:
    """The national snapshot file's online ratio per province at its latest date (as the file writes it)."""
    with (landing / "tasks/xep-hang-tinh.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    latest = max(rows, key=lambda r: r["Ngày"][6:] + r["Ngày"][3:5] + r["Ngày"][:2])["Ngày"]
    return {r["Mã tỉnh"]: Decimal(r["Tỷ lệ nộp trực tuyến (%)"]) for r in rows if r["Ngày"] == latest}


def expected_ranks(expected: dict[tuple, tuple[int, int, int]], published: dict[str, Decimal]
                   ) -> dict[tuple, tuple[Decimal | None, int | None]]:
    """(period_type, period_key, indicator, definition, province) -> (value, rank) of the provinces with records:
    rank = 1 + provinces with a strictly greater value; for the window's online ratio the provinces without records
    take part with their published value."""
    groups = defaultdict(dict)
    for (province, grain, _, ptype, pkey, ind, definition), (num, den, _) in expected.items():
        if grain == "province":
            groups[(ptype, pkey, ind, definition)][province] = pct(num, den)
    out = {}
    for group, values in groups.items():
        others = [v for p, v in published.items() if p not in values] if group == ("window", "window", "3.3", "A") else []
        for province, value in values.items():
            rank = None if value is None else \
                1 + sum(1 for v in [*values.values(), *others] if v is not None and v > value)
            out[(*group, province)] = (value, rank)
    return out


@pytest.fixture(scope="module")
def national_run(national_world_dir, tmp_path_factory):
    """The national world: the 34 provinces at scale 0.005, loaded by one `hoso run`."""
    settings = make_settings(tmp_path_factory.mktemp("national_run"), national_world_dir)
    run(settings)
    return settings, json.loads((national_world_dir / "manifest.json").read_text(encoding="utf-8"))


def test_every_indicator_at_every_grain_and_period_is_the_manifests(national_run):
    settings, manifest = national_run
    expected = manifest_rows(manifest)
    provinces = {k[0] for k in expected}
    assert len(provinces) == 34
    assert {k[1] for k in expected} == {"province", "province_agencies", "communes", "unit"}
    got = mart_rows(settings.analytics_db, ("province", "province_agencies", "communes", "unit"),
                    manifest["home_province"])
    assert set(got) == set(expected), (sorted(set(got) - set(expected))[:5], sorted(set(expected) - set(got))[:5])
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert wrong == {}, list(wrong.items())[:10]
    # the indicators are not all alike: the rules give different values
    home = manifest["home_province"]
    window = {k[5] + " " + k[6]: v for k, v in expected.items() if k[:5] == (home, "province", home, "window", "window")}
    assert len({pct(n, d) for n, d, _ in window.values()}) == len(window)


def test_provinces_without_records_rank_on_the_snapshot_files_value(tmp_path):
    """The test world (tests/snapshot_world.py): two provinces with records (Nghệ An 57 online of 77, Hà Tĩnh 1 of
    1); on the window's online ratio the 32 others of the national snapshot take part with their latest published
    value (from_records false), so the ranking names all 34."""
    analytics = w.build_snapshot(tmp_path)
    counted = w.counted_dossiers()
    values = {w.HOME: pct(sum(1 for d in counted if d.channel == 2), len(counted)), "42": Decimal("100.00")}
    latest = max(w.SNAPSHOTS)
    published = {code: Decimal(str(v)) for snap, code, _, v, _ in w.province_snapshot_values()
                 if snap == latest and code not in values}
    every = {**values, **published}
    expected = {p: (v, 1 + sum(1 for o in every.values() if o > v), p in values) for p, v in every.items()}
    con = duckdb.connect(str(analytics), read_only=True)
    try:
        rows = con.execute(
            "SELECT province_code, value_pct, rank, from_records FROM marts.indicator_ranking "
            "WHERE period_type = 'window' AND indicator = '3.3' AND definition = 'A'").fetchall()
        other = con.execute("SELECT DISTINCT from_records FROM marts.indicator_ranking "
                            "WHERE NOT (period_type = 'window' AND indicator = '3.3')").fetchall()
    finally:
        con.close()
    assert {r[0]: tuple(r[1:]) for r in rows} == expected
    assert len(rows) == 34 and expected[w.HOME][1] == 20  # as the snapshot world was built: 20th of 34
    assert other == [(True,)]  # the other indicators rank the provinces with records only


def test_the_national_ranking_from_the_34_provinces_records(national_run):
    """Every province has records: every rank comes from them, and on the window's online ratio they agree with the
    national snapshot file's latest ranks (its values were planned from the same records)."""
    settings, manifest = national_run
    ranks = expected_ranks(manifest_rows(manifest), {})
    published = published_online(settings.landing_dir)
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT period_type, period_key, indicator, definition, province_code, value_pct, rank, from_records "
            "FROM marts.indicator_ranking").fetchall()
    finally:
        con.close()
    assert all(r[7] for r in rows)
    assert {r[:5]: (r[5], r[6]) for r in rows} == ranks
    # rank changes month to month: none from June (a few dossiers of one province), August against July
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        changes = dict(con.execute(
            "SELECT period_key, rank_change FROM marts.indicator_ranking WHERE period_type = 'month' "
            "AND indicator = '3.3' AND definition = 'A' AND province_code = '40'").fetchall())
    finally:
        con.close()
    july, august = (ranks[("month", m, "3.3", "A", "40")][1] for m in ("2025-07", "2025-08"))
    assert changes["2025-07"] is None and changes["2025-08"] == july - august
    window = {r[4]: r[6] for r in rows if r[:4] == ("window", "window", "3.3", "A")}
    file_rank = {p: 1 + sum(1 for v in published.values() if v > value) for p, value in published.items()}
    assert len(window) == 34 and window == file_rank


def test_the_headline_marts_are_per_province(national_run):
    """With 34 provinces loaded, the headline marts (online_ratio_by_level, online_ratio_definitions, daily_trend,
    online_ratio_by_commune, ratio_by_agency) hold every province's rows, each equal to the manifest's online ratio
    (3.3 A, the window) of that province at that level; and the home province's communes and agencies one by one."""
    settings, manifest = national_run
    expected = manifest_rows(manifest)
    home = manifest["home_province"]
    level_of = {"province": "province_wide", "province_agencies": "province_agencies", "communes": "commune"}
    want = {(p, level_of[g]): (den, num) for (p, g, _, pt, _, ind, d), (num, den, _) in expected.items()
            if g in level_of and pt == "window" and ind == "3.3" and d == "A"}
    units = {k: (den, num) for (p, g, k, pt, _, ind, d), (num, den, _) in expected.items()
             if g == "unit" and pt == "window" and ind == "3.3" and d == "A"}
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        levels = {(p, lv): (r, o) for p, lv, r, o in con.execute(
            "SELECT province_code, level_key, received, online FROM marts.online_ratio_by_level").fetchall()}
        definitions = {(p, lv): (den, num) for p, lv, den, num in con.execute(
            "SELECT province_code, level_key, denominator, numerator FROM marts.online_ratio_definitions "
            "WHERE ratio_definition = 'A'").fetchall()}
        trend = {(p, lv): (r, o) for p, lv, r, o in con.execute(
            "SELECT province_code, level_key, max(cumulative_received), max(cumulative_online) FROM marts.daily_trend "
            "GROUP BY ALL").fetchall()}
        homes = con.execute("SELECT DISTINCT province_code FROM marts.online_ratio_by_level WHERE is_home").fetchall()
        communes = {u: (r, o) for u, r, o in con.execute(
            "SELECT unit_code, received, online FROM marts.online_ratio_by_commune WHERE is_home AND received > 0"
        ).fetchall()}
        agencies = {u: (r, o) for u, r, o in con.execute(
            "SELECT unit_code, received, online FROM marts.ratio_by_agency WHERE is_home AND received > 0").fetchall()}
        commune_ranks = con.execute(
            "SELECT province_code, min(rank), count(DISTINCT province_code) OVER () FROM marts.online_ratio_by_commune "
            "GROUP BY province_code").fetchall()
    finally:
        con.close()
    assert len({p for p, _ in want}) == 34 and homes == [(home,)]
    assert levels == want
    assert definitions == want
    assert trend == {k: v for k, v in want.items() if v[0] > 0}
    assert {**communes, **agencies} == {k: v for k, v in units.items() if v[0] > 0}
    # every province's communes are ranked among themselves: each has a first
    assert len(commune_ranks) == 34 and {r[1] for r in commune_ranks} == {1}
