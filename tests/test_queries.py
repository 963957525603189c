"""The example queries for analysts (warehouse/queries/*.sql) run against a small published snapshot
(tests/snapshot_world.py) and give the values that its rows imply, worked out here independently of the SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

import snapshot_world as w
from warehouse.db import sql_files, sql_text


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return w.build_snapshot(tmp_path_factory.mktemp("queries"))


def run_query(snapshot, name: str) -> list[dict]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cur = con.execute(sql_text("queries", name))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]
    finally:
        con.close()


def pct(num: int, den: int) -> float | None:
    return 100 * num / den if den else None


# ------------------------------------------------------------------ one check per file


def check_top_bottom(rows):
    rated = sorted((u for u in w.COMMUNES if u.received), key=lambda u: (-u.online / u.received, -u.received, u.code))
    top = [r for r in rows if r["list"] == "top"]
    bottom = [r for r in rows if r["list"] == "bottom"]
    assert rows == top + bottom, "top list first, then bottom"
    assert [r["unit_code"] for r in top] == [u.code for u in rated][:10]
    assert [r["unit_code"] for r in bottom] == [u.code for u in reversed(rated)][:10]
    assert [r["position"] for r in top] == list(range(1, len(top) + 1))
    best, worst = top[0], bottom[0]
    assert (best["unit_name"], best["received"], best["online"], best["online_ratio_pct"], best["rank"]) == \
        ("Phường Vinh Phú", 10, 9, Decimal("90.00"), 1)
    assert (worst["unit_name"], worst["online_ratio_pct"], worst["meets_target"], worst["rank"]) == \
        ("Xã Con Cuông", Decimal("40.00"), False, 5)
    # Yên Xuân sits exactly on the 70% target: it meets it.
    yen_xuan = next(r for r in top if r["unit_code"] == "17380")
    assert yen_xuan["online_ratio_pct"] == Decimal("70.00") and yen_xuan["meets_target"] is True
    # The commune without dossiers has no ratio and is in neither list.
    assert "17263" not in {r["unit_code"] for r in rows}
    assert {r["ratio_definition"] for r in rows} == {"A"}


def check_daily_trend(rows):
    per_day = defaultdict(lambda: [0, 0])
    for d in w.counted_dossiers():
        per_day[d.received_at.date()][0] += 1
        per_day[d.received_at.date()][1] += d.channel == 2
    days = sorted(per_day)
    assert [r["received_date"] for r in rows] == days
    cum_r = cum_o = 0
    previous = None
    for r, day in zip(rows, days):
        received, online = per_day[day]
        cum_r, cum_o = cum_r + received, cum_o + online
        assert (r["received"], r["online"], r["cumulative_received"], r["cumulative_online"]) == \
            (received, online, cum_r, cum_o)
        assert float(r["day_ratio_pct"]) == pytest.approx(pct(online, received), abs=0.005)
        assert float(r["cumulative_ratio_pct"]) == pytest.approx(pct(cum_o, cum_r), abs=0.005)
        if previous is None:
            assert r["cumulative_change_pts"] is None
        else:
            assert r["cumulative_change_pts"] == r["cumulative_ratio_pct"] - previous
        previous = r["cumulative_ratio_pct"]
    # The last day carries the window's headline: 57 / 77 = 74.03%.
    last = rows[-1]
    assert (last["cumulative_received"], last["cumulative_online"], last["cumulative_ratio_pct"]) == \
        (77, 57, Decimal("74.03"))


def check_reconciliation(rows):
    by_id = {r["figure_id"]: r for r in rows}
    assert set(by_id) == {p[0] for p in w.PUBLISHED}
    statuses = [r["status"] for r in rows]
    # Attention first: mismatches, then not recomputable, then matches.
    assert statuses == sorted(statuses, key=["mismatch", "not recomputable", "match"].index)
    assert {f for f, r in by_id.items() if r["status"] == "mismatch"} == \
        {"P3_received", "P3_online", "P3_ratio", "P4_ratio", "P8_procedures"}
    assert by_id["P9_lookups"]["status"] == "not recomputable" and by_id["P9_lookups"]["recomputed_value"] is None
    p4 = by_id["P4_ratio"]
    assert p4["published_value"] == pytest.approx(96.55)
    assert p4["recomputed_value"] == Decimal("71.79")          # 28 / 39
    assert p4["difference"] == pytest.approx(24.76)
    assert p4["reproduced_by"] == "ratio.commune_online_over_agency_online"
    assert p4["reproducing_formula"] == ("trực tuyến cấp xã / trực tuyến cấp tỉnh (sở, ngành) = 28 / 29 | "
                                         "commune online / province-level online")
    p3 = by_id["P3_ratio"]
    assert p3["recomputed_value"] == Decimal("74.03") and p3["reproduced_by"] == "ratio.province_agencies"
    assert by_id["P3_received"]["difference"] == pytest.approx(38 - 77)
    assert by_id["P8_procedures"]["reproduced_by"] is None
    assert by_id["P8_procedures"]["finding"].startswith("không khớp: tính lại từ hồ sơ được 1 ")
    assert by_id["P8_procedures"]["finding_en"].startswith("does not match")
    p1 = by_id["P1_ratio"]
    assert (p1["status"], p1["recomputed_value"], p1["difference"]) == ("match", Decimal("74.03"), 0)


def check_definitions(rows):
    assert [r["level_key"] for r in rows] == ["province_wide", "province_agencies", "commune"]
    muc_do = {p[0]: p[5] for p in w.PROCEDURES}
    levels = {"province_wide": w.counted_dossiers(),
              "province_agencies": [d for d in w.counted_dossiers() if d.level == "province"],
              "commune": [d for d in w.counted_dossiers() if d.level == "commune"]}
    for r in rows:
        ds = levels[r["level_key"]]
        online = sum(d.channel == 2 for d in ds)
        capable = [d for d in ds if muc_do[d.procedure] in (3, 4)]
        capable_online = sum(d.channel == 2 for d in capable)
        not_postal = sum(d.channel in (1, 2) for d in ds)
        sync = sum(d.synced for d in ds) / len(ds)
        assert (r["online"], r["received"], r["online_capable_online"], r["online_capable_received"],
                r["online_or_in_person"]) == (online, len(ds), capable_online, len(capable), not_postal)
        assert float(r["ratio_a_pct"]) == pytest.approx(pct(online, len(ds)), abs=0.005)
        assert float(r["ratio_b_pct"]) == pytest.approx(pct(capable_online, len(capable)), abs=0.005)
        assert float(r["ratio_c_pct"]) == pytest.approx(pct(online, not_postal), abs=0.005)
        assert float(r["ratio_d_pct"]) == pytest.approx(pct(online, len(ds)) * sync, abs=0.005)
        four = [r[f"ratio_{x}_pct"] for x in "abcd"]
        assert r["spread_pts"] == max(four) - min(four)
    wide = rows[0]
    # 57/77, 57/73 (4 MucDo-2 dossiers out), 57/75 (2 postal out), 74.03% x 72/77 synced.
    assert [wide[f"ratio_{x}_pct"] for x in "abcd"] == [Decimal("74.03"), Decimal("78.08"), Decimal("76.00"),
                                                         Decimal("69.22")]
    assert rows[1]["sync_ratio"] == 1.0  # every agency dossier reached the national portal


def check_below_target(rows):
    assert [r["unit_code"] for r in rows] == ["17254", "17344", "17263"]
    con_cuong, nhan_hoa, mon_son = rows
    # Con Cuông 2/5: 2 more of its 5 would reach 4/5 >= 70%; or 5 new online dossiers: 7/10 = 70%.
    assert (con_cuong["online_ratio_pct"], con_cuong["gap_pts"], con_cuong["online_to_convert"],
            con_cuong["additional_online_needed"]) == (Decimal("40.00"), Decimal("30.00"), 2, 5)
    # Nhân Hòa 4/6: 5/6 converting one; or one new online dossier: 5/7 = 71.4%.
    assert (nhan_hoa["online_ratio_pct"], nhan_hoa["online_to_convert"], nhan_hoa["additional_online_needed"]) == \
        (Decimal("66.67"), 1, 1)
    # Môn Sơn received nothing: no ratio, one online dossier would put it at 100%.
    assert (mon_son["received"], mon_son["online_ratio_pct"], mon_son["online_to_convert"],
            mon_son["additional_online_needed"], mon_son["note"]) == (0, None, 0, 1, "no dossier received")
    for r in rows:
        assert r["target_pct"] == Decimal("70.00") and r["ratio_definition"] == "A"
        if r["received"]:  # the counts are the smallest that reach the target, checked by brute force
            x = r["online_to_convert"]
            assert (r["online"] + x) / r["received"] >= 0.7 > (r["online"] + x - 1) / r["received"]
            y = r["additional_online_needed"]
            assert (r["online"] + y) / (r["received"] + y) >= 0.7 > (r["online"] + y - 1) / (r["received"] + y - 1)


def check_agency_ranking(rows):
    assert [(r["rank"], r["unit_name"], r["received"], r["online"], r["online_ratio_pct"]) for r in rows] == [
        (1, "Sở Nội vụ", 8, 7, Decimal("87.50")),
        (2, "Sở Xây dựng", 20, 17, Decimal("85.00")),
        (3, "Sở Y tế", 10, 5, Decimal("50.00")),
    ]
    assert {r["province_level_ratio_pct"] for r in rows} == {Decimal("76.32")}  # 29 / 38
    assert [r["vs_province_level_pts"] for r in rows] == [Decimal("11.18"), Decimal("8.68"), Decimal("-26.32")]
    assert [r["share_of_received_pct"] for r in rows] == [Decimal("21.05"), Decimal("52.63"), Decimal("26.32")]
    assert [r["returned"] for r in rows] == [4, 10, 5]  # dossiers 0, 2, 4, ... of each agency


# The indicator queries: the rules of docs/indicators.md applied here to the test world's dossiers (snapshot_world:
# due 5 days after receipt; returned dossiers processed and returned 2 days after receipt, the others open).
WINDOW_END = datetime(2025, 8, 6, 16, tzinfo=w.VN)


def _received(d) -> bool:
    return d.province == w.HOME and not d.is_test and d.status != 1


def _in_window(d) -> bool:
    return datetime(2025, 7, 1, tzinfo=w.VN) <= d.received_at < WINDOW_END


def _round_pct(num: int, den: int) -> Decimal | None:
    return (Decimal(100 * num) / Decimal(den)).quantize(Decimal("0.01"), ROUND_HALF_UP) if den else None


def check_commune_on_time(rows):
    expected = []
    for u in w.COMMUNES:
        ds = [d for d in w.dossiers() if d.unit == u.code and _received(d) and _in_window(d)]
        if not ds:
            continue
        due = {d.code: d.received_at + timedelta(days=5) for d in ds}
        # P: returned dossiers ended 2 days after receipt (in time); open ones are on time until their due date
        on_time_p = sum(1 for d in ds if d.status == 10 or due[d.code] >= WINDOW_END)
        finished = [d for d in ds if d.status == 10]
        expected.append((u.code, u.name, on_time_p, len(ds), _round_pct(on_time_p, len(ds)), len(finished),
                         len(finished), _round_pct(len(finished), len(finished))))
    expected.sort(key=lambda e: (e[4], e[0]))
    assert [(r["unit_code"], r["commune_name"], r["on_time_p"], r["assessed_p"], r["on_time_pct_p"], r["on_time_v"],
             r["finished_v"], r["on_time_pct_v"]) for r in rows] == expected
    assert any(e[2] < e[3] for e in expected), "some commune has an open dossier past due"


def check_paid_online(rows):
    def level_of(grain):
        return {"province": lambda d: True, "province_agencies": lambda d: d.level == "province",
                "communes": lambda d: d.level == "commune"}[grain]

    expected = []
    for grain in ("province", "province_agencies", "communes"):
        ds = [d for d in w.dossiers() if _received(d) and level_of(grain)(d)]
        months = sorted({d.received_at.strftime("%Y-%m") for d in ds})
        for period_type, key, members in [("month", m, [d for d in ds if d.received_at.strftime("%Y-%m") == m])
                                          for m in months] + [("window", "window", [d for d in ds if _in_window(d)])]:
            with_fee = [d for d in members if d.fee > 0]
            paid = sum(1 for d in with_fee if d.paid_online)
            expected.append((grain, period_type, key, paid, len(with_fee), _round_pct(paid, len(with_fee)), 0))
    assert [(r["level"], r["period_type"], r["period_key"], r["paid_online"], r["with_fee"], r["paid_online_pct"],
             r["not_from_portal"]) for r in rows] == expected
    window = next(r for r in rows if r["level"] == "province" and r["period_type"] == "window")
    assert 0 < window["paid_online"] < window["with_fee"]


def check_furthest_from_target(rows):
    rules = {  # indicator -> (full score value, numerator rule, denominator rule)
        "3.3": (Decimal(50), lambda d: d.channel == 2, lambda d: True),
        "4.2": (Decimal(80), lambda d: False, lambda d: d.status != 3),  # no document file in the test world
        "4.3": (Decimal(80), lambda d: bool(d.digitised), lambda d: True),
    }
    expected = []
    for indicator, (target, num, den) in sorted(rules.items()):
        gaps = []
        for u in w.COMMUNES:
            ds = [d for d in w.dossiers() if d.unit == u.code and _received(d) and _in_window(d) and den(d)]
            value = _round_pct(sum(1 for d in ds if num(d)), len(ds))
            if value is not None and value < target:
                gaps.append((-(target - value), -len(ds), u.code, value))
        for position, (gap, n, code, value) in enumerate(sorted(gaps)[:5], start=1):
            expected.append((indicator, position, code, -n, value, -gap))
    assert [(r["indicator"], r["position"], r["unit_code"], r["denominator"], r["value_pct"], r["gap_pts"])
            for r in rows] == expected
    assert [r["unit_code"] for r in rows if r["indicator"] == "3.3"] == ["17254"]  # Con Cuông, 40% < 50%


CHECKS = {
    "01_top_bottom_communes.sql": check_top_bottom,
    "02_daily_trend.sql": check_daily_trend,
    "03_reconciliation.sql": check_reconciliation,
    "04_ratio_definitions.sql": check_definitions,
    "05_communes_below_target.sql": check_below_target,
    "06_agency_ranking.sql": check_agency_ranking,
    "07_commune_on_time.sql": check_commune_on_time,
    "08_paid_online.sql": check_paid_online,
    "09_communes_furthest_from_target.sql": check_furthest_from_target,
}


def test_every_query_file_has_a_check():
    assert set(sql_files("queries")) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_query_header_says_the_question_and_how_to_read_it(name):
    text = sql_text("queries", name)
    assert text.startswith("-- Question: ")
    header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
    assert "-- Source: " in header and "How to read the result:" in header


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_query_result(snapshot, name):
    rows = run_query(snapshot, name)
    assert rows, f"{name} returned no row"
    CHECKS[name](rows)
