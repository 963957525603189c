"""marts.indicators on hand-built dossiers: each rule of docs/indicators.md pinned by a case whose answer is worked
out here, by hand (on time under the portal's and the vendor's rules, fees, electronic results, unknown fields of a
provincial export, periods and grains)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pytest

import snapshot_world as w
from test_dbt_marts import test_results

DOSSIER_COLUMNS = ("dossier_code", "unit_code", "province_code", "level", "procedure_code", "channel", "status",
                   "received_at", "due_at", "processed_at", "returned_at", "refused_at", "source_format",
                   "has_digitised_component", "vneid_verified", "paid_online", "synced_to_portal")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The test world's built warehouse (its reference tables give a real unit and procedure)."""
    return w.build_snapshot(tmp_path_factory.mktemp("indicators")).parent / "warehouse.duckdb"


def _ts(text: str | None) -> str:
    return "NULL" if text is None else f"TIMESTAMPTZ '{text}+07'"


def build_with(base, tmp_path, dossiers: list[dict], children: dict[str, list[dict]] | None = None):
    """A copy of the warehouse whose only dossiers are `dossiers`; marts rebuilt; returns a read-only connection."""
    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(base.read_bytes())
    con = duckdb.connect(str(db))
    try:
        unit, province, level = con.execute(
            "SELECT unit_code, province_code, level FROM ref.units WHERE level = 'commune' ORDER BY unit_code LIMIT 1"
        ).fetchone()
        procedure = con.execute("SELECT min(procedure_code) FROM ref.procedures").fetchone()[0]
        for table in ("dossiers", "dossier_documents", "dossier_fees", "dossier_results", "dossier_supplements",
                      "dossier_databases"):
            con.execute(f"DELETE FROM core.{table}")
        for row, d in enumerate(dossiers):
            d = {"unit_code": unit, "province_code": province, "level": level, "procedure_code": procedure,
                 "channel": 1, "status": 4, "received_at": "2025-07-10 09:00:00", "due_at": None,
                 "processed_at": None, "returned_at": None, "refused_at": None, "source_format": "portal_json",
                 "has_digitised_component": False, "vneid_verified": False, "paid_online": False,
                 "synced_to_portal": d.get("source_format", "portal_json") == "portal_json"} | d
            values = [f"'{d[c]}'" if isinstance(d[c], str) and not c.endswith("_at") else
                      _ts(d[c]) if c.endswith("_at") else "NULL" if d[c] is None else str(d[c])
                      for c in DOSSIER_COLUMNS]
            con.execute(
                f"INSERT INTO core.dossiers BY NAME SELECT {', '.join(f'{v} AS {c}' for c, v in zip(DOSSIER_COLUMNS, values))}, "
                f"{_ts(d['received_at'])} AS event_at, 2 AS source_rank, 'hand.json' AS source_file, "
                f"'sha-{d['dossier_code']}' AS source_sha256, {row} AS source_row, 'load-1' AS load_id, "
                # merged by a load the marts have not seen, as the merge stamps them: fct_case_files takes them
                "'load-1' AS merged_load_id, false AS is_test")
        for table, rows in (children or {}).items():
            for r in rows:
                code = r["dossier_code"]
                row = next(i for i, d in enumerate(dossiers) if d["dossier_code"] == code)
                cols = {k: v for k, v in r.items()}
                cols |= {"source_sha256": f"sha-{code}", "source_row": row, "position": 0, "load_id": "load-1",
                         "source_file": "hand.json"}
                names = ", ".join(cols)
                con.execute(f"INSERT INTO core.{table} ({names}) VALUES ({', '.join('?' * len(cols))})",
                            list(cols.values()))
    finally:
        con.close()
    results = test_results(db, ["build", "--select", "fct_case_files", "indicator_definitions", "indicators"])
    ok = {"pass", "success"}
    assert set(results.values()) <= ok, {k: v for k, v in results.items() if v not in ok}
    return duckdb.connect(str(db), read_only=True), unit, province


def figures(con, grain: str, key: str, period: str = "window") -> dict:
    rows = con.execute(
        "SELECT indicator || ' ' || definition, numerator, denominator, not_from_portal FROM marts.indicators "
        "WHERE grain = ? AND grain_key = ? AND period_key = ?", [grain, key, period]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_on_time_under_the_portal_and_the_vendor_rules(base, tmp_path):
    """Due 2025-07-20 12:00 unless said; the window ends (as-of) 2025-08-06 16:00."""
    due = "2025-07-20 12:00:00"
    cases = [
        # code, fields, on time (P), in the vendor's denominator, on time (V)
        ("early", dict(due_at=due, processed_at="2025-07-15 10:00:00", status=9), True, True, True),
        ("late", dict(due_at=due, processed_at="2025-07-25 10:00:00", status=9), False, True, False),
        ("open-not-due", dict(due_at="2025-08-10 12:00:00"), True, False, False),
        ("open-past-due", dict(due_at=due), False, False, False),
        ("no-due-processed", dict(processed_at="2025-07-25 10:00:00", status=9), True, True, True),
        ("no-due-open", dict(), True, False, False),
        ("stopped-late", dict(due_at=due, processed_at="2025-07-22 10:00:00", status=8), False, True, False),
        # a supplement request before the due date ends the agency's clock: the citizen's time does not count
        ("supplement", dict(due_at=due, processed_at="2025-07-28 10:00:00", status=10,
                            returned_at="2025-07-29 10:00:00"), True, True, False),
        # status rewritten as 9 without a processed time: only times are read, so it is open and past due
        ("rewritten-9", dict(due_at=due, status=9), False, False, False),
        ("refused-in-time", dict(due_at=due, refused_at="2025-07-12 10:00:00", status=3), True, False, False),
        # withdrawn: outside both rules
        ("withdrawn", dict(due_at=due, status=7), None, False, False),
        # the due time itself is in time
        ("at-due", dict(due_at=due, processed_at=due, status=9), True, True, True),
    ]
    dossiers = [{"dossier_code": code} | fields for code, fields, *_ in cases]
    supplements = [{"dossier_code": "supplement", "requested_at": duckdb_ts("2025-07-18 08:00:00"),
                    "resubmitted_at": duckdb_ts("2025-07-27 08:00:00")}]
    con, unit, province = build_with(base, tmp_path, dossiers, {"dossier_supplements": supplements})
    try:
        f = figures(con, "unit", unit)
        p_den = sum(1 for c in cases if c[2] is not None)
        p_num = sum(1 for c in cases if c[2])
        v_den = sum(1 for c in cases if c[3])
        v_num = sum(1 for c in cases if c[4])
        assert (p_num, p_den, v_num, v_den) == (7, 11, 3, 6)
        assert f["2.1 P"] == (p_num, p_den, 0)
        assert f["2.1 V"] == (v_num, v_den, 0)
        assert f["3.3 A"] == (0, len(cases), 0)
        assert f["3.3b in_person"] == (len(cases), len(cases), 0)
        # the same at every grain holding the unit
        assert figures(con, "province", province)["2.1 P"] == (p_num, p_den, 0)
        assert figures(con, "communes", province)["2.1 P"] == (p_num, p_den, 0)
        assert figures(con, "province_agencies", province) == {}
        assert {r[0] for r in con.execute("SELECT DISTINCT period_key FROM marts.indicators").fetchall()} == \
            {"2025-07", "2025-Q3", "2025-H2", "2025", "window"}
    finally:
        con.close()


def duckdb_ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone(timedelta(hours=7)))


def test_fees_results_documents_and_a_provincial_export(base, tmp_path):
    dossiers = [
        # procedures of the test world: 1.001234 and 2.000777 MucDo 4, 2.000555 MucDo 3, 1.000001 MucDo 2
        {"dossier_code": "paid", "channel": 2, "paid_online": True, "status": 10, "vneid_verified": True,
         "returned_at": "2025-07-11 09:00:00", "processed_at": "2025-07-11 08:00:00", "procedure_code": "1.001234"},
        {"dossier_code": "unpaid", "channel": 2, "status": 10, "returned_at": "2025-07-11 09:00:00",
         "processed_at": "2025-07-11 08:00:00", "procedure_code": "2.000555"},
        {"dossier_code": "free", "channel": 3, "paid_online": True, "has_digitised_component": True,
         "procedure_code": "2.000777"},
        {"dossier_code": "refused", "status": 3, "refused_at": "2025-07-11 09:00:00", "procedure_code": "1.000001"},
        # a provincial export: no lists, flags unknown
        {"dossier_code": "csv", "source_format": "provincial_csv", "status": 10, "paid_online": None,
         "vneid_verified": None, "has_digitised_component": None, "returned_at": "2025-07-11 09:00:00",
         "processed_at": "2025-07-11 08:00:00"},
        # another month, another quarter
        {"dossier_code": "october", "received_at": "2025-10-02 09:00:00", "channel": 2, "procedure_code": "1.001234"},
    ]
    fees = [{"dossier_code": "paid", "amount": 50000}, {"dossier_code": "unpaid", "amount": 20000},
            {"dossier_code": "free", "amount": 0}]
    results = [{"dossier_code": "paid", "result_code": "KQ.1", "has_file_link": True},
               {"dossier_code": "unpaid", "result_code": "KQ.2", "has_file_link": False}]
    documents = [{"dossier_code": "paid", "has_file": True, "is_deleted": False, "is_reused": False,
                  "from_national_store": False},
                 {"dossier_code": "unpaid", "has_file": True, "is_deleted": True, "is_reused": True,
                  "from_national_store": True},
                 {"dossier_code": "refused", "has_file": True, "is_deleted": False, "is_reused": False,
                  "from_national_store": True}]
    databases = [{"dossier_code": "unpaid", "database_code": "CSDLQGDC"},
                 {"dossier_code": "free", "database_code": "CSDLQGDKDN"}]
    con, unit, province = build_with(base, tmp_path, dossiers, {"dossier_fees": fees, "dossier_results": results,
                                                                "dossier_documents": documents,
                                                                "dossier_databases": databases})
    try:
        f = figures(con, "unit", unit)
        assert f["3.6 P"] == (1, 2, 0)  # paid of {paid, unpaid}; "free" has only a fee of 0
        assert f["4.1 P"] == (1, 3, 1)  # returned: paid (link), unpaid (no link), csv (unknown)
        assert f["4.2 P"] == (1, 4, 1)  # refused left out; paid has a file and an electronic result
        assert f["4.3 P"] == (1, 5, 1)  # free's digitised flag; unpaid's reused document is deleted
        assert f["4.4 P"] == (2, 5, 1)  # paid's electronic result, refused's document from the national store
        assert f["4.5 P"] == (3, 5, 1)  # paid (VNeID), unpaid (CSDLQGDC), refused (national store)
        assert f["3.3 A"] == (2, 5, 1)
        assert f["3.3b postal"] == (1, 5, 1)
        assert figures(con, "unit", unit, "2025-10")["3.3 A"] == (1, 1, 0)
        assert figures(con, "unit", unit, "2025-Q3")["3.3 A"] == (2, 5, 1)
        assert figures(con, "unit", unit, "2025-H2")["3.3 A"] == (3, 6, 1)
        assert figures(con, "unit", unit, "2025")["3.3 A"] == (3, 6, 1)
        assert figures(con, "procedure", "1.001234")["3.6 P"] == (1, 1, 0)
        assert figures(con, "procedure", "2.000555")["3.6 P"] == (0, 1, 0)
        assert f["1.4 P"] == (4, 5, 1)  # the provincial export's dossier never reached the portal
        # online services (MucDo 3, 4) with a dossier: 1.001234, 2.000555 (online) and 2.000777 (by post only)
        assert f["3.2 P"] == (2, 3, None)
        assert figures(con, "unit", unit, "2025-H2")["3.2 P"] == (2, 3, None)
        assert figures(con, "procedure", "2.000777")["3.2 P"] == (0, 1, None)
        fct = dict(con.execute("SELECT dossier_code, has_fee FROM marts.fct_case_files").fetchall())
        assert fct == {"paid": True, "unpaid": True, "free": False, "refused": False, "csv": None, "october": False}
    finally:
        con.close()
