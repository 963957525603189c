"""A small analytics snapshot for the analyst-facing tests (views, example queries, HTML report).

It fills the warehouse's core/ref tables with a handful of hand-made rows, builds the marts and the bao_cao views
with the real dbt project (warehouse.dbt_runner.build_marts: `dbt build`, its tests included), and publishes the
snapshot with the real publish(), which creates the views again inside it. The numbers are small enough to check by hand:

    unit                 online  in person  postal   received  online %   (+ muc_do 2 / not synced notes)
    Phường Vinh Phú           9          1       0         10    90.00
    Xã Anh Sơn                6          2       0          8    75.00
    Xã Yên Xuân               7          3       0         10    70.00    its 3 in-person dossiers are MucDo 2
    Xã Nhân Hòa               4          2       0          6    66.67    below the 70% target
    Xã Con Cuông              2          2       1          5    40.00    below; provincial export only (not synced)
    Xã Môn Sơn                0          0       0          0     null    no dossier at all
    Sở Xây dựng              17          3       0         20    85.00
    Sở Y tế                   5          4       1         10    50.00
    Sở Nội vụ                 7          1       0          8    87.50    its in-person dossier is MucDo 2
    communes                 28                            39    71.79
    province-level agencies  29                            38    76.32
    province-wide            57                            77    74.03

plus dossiers that must not count: a test dossier, two outside the window, one of another province.
Dossier i of the u-th unit (channels in a fixed shuffled order) is received (3 i + u) mod 37 days after
2025-07-01, at 08:00 + (i mod 8) hours, and is returned (status 10) when i is even. Commune tasks: 16 per commune at
two snapshots; province tasks: 5; the national snapshot: the 34 provinces at two dates, the other 33 placed around
the home province's recomputed values so that it ranks 25 then 20 on the online ratio, 22 then 20 on commune tasks.
"""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import duckdb

from warehouse.db import apply_schema, connect
from warehouse.dbt_runner import MartParams, build_marts
from warehouse.publish import publish

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOME = "40"
TEST_KEY = "snapshot-world-test-key-not-a-secret"  # the PII key of the published test snapshot
HOME_NAME = "Tỉnh Nghệ An"


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # commune | province
    kind: str
    e_id: str
    online: int
    in_person: int
    postal: int
    synced: bool = True
    muc_do_2_in_person: bool = False  # its in-person dossiers are of an information-only procedure

    @property
    def received(self) -> int:
        return self.online + self.in_person + self.postal


UNITS = [
    Unit("16702", "Phường Vinh Phú", "commune", "phường", "000.16.70.H40", 9, 1, 0),
    Unit("17329", "Xã Anh Sơn", "commune", "xã", "000.17.29.H40", 6, 2, 0),
    Unit("17380", "Xã Yên Xuân", "commune", "xã", "000.17.38.H40", 7, 3, 0, muc_do_2_in_person=True),
    Unit("17344", "Xã Nhân Hòa", "commune", "xã", "000.17.34.H40", 4, 2, 0),
    Unit("17254", "Xã Con Cuông", "commune", "xã", "000.17.25.H40", 2, 2, 1, synced=False),
    Unit("17263", "Xã Môn Sơn", "commune", "xã", "000.17.26.H40", 0, 0, 0),
    Unit("40S01", "Sở Xây dựng", "province", "sở", "000.00.01.H40", 17, 3, 0),
    Unit("40S02", "Sở Y tế", "province", "sở", "000.00.02.H40", 5, 4, 1),
    Unit("40S03", "Sở Nội vụ", "province", "sở", "000.00.03.H40", 7, 1, 0, muc_do_2_in_person=True),
]
COMMUNES = [u for u in UNITS if u.level == "commune"]
AGENCIES = [u for u in UNITS if u.level == "province"]
OTHER_PROVINCE_UNIT = ("42S01", "Sở Xây dựng Hà Tĩnh", "province", "sở", "000.00.01.H42", "42", "Tỉnh Hà Tĩnh")

# procedure_code, name, field_code, field_name, level, muc_do, boundary_free, status, owner
PROCEDURES = [
    ("1.001234", "Đăng ký khai sinh", "HT", "Hộ tịch", "commune", 4, True, "approved", None),
    ("1.000001", "Cung cấp thông tin quy hoạch", "QH", "Quy hoạch", "commune", 2, False, None, None),
    ("2.000555", "Cấp giấy phép xây dựng", "XD", "Xây dựng", "province", 3, False, None, "40S01"),
    ("2.000777", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "KCB", "Khám bệnh, chữa bệnh", "province", 4,
     False, "pending", "40S02"),
    ("2.000888", "Thông tin tuyển dụng công chức", "CC", "Công chức, viên chức", "province", 2, False, None, "40S03"),
    ("2.000999", "Thẩm định hồ sơ đề nghị khen thưởng", "TĐKT", "Thi đua, khen thưởng", "province", 4, False, None,
     "40S03"),
]
PROCEDURE_OF = {"40S01": "2.000555", "40S02": "2.000777", "40S03": "2.000999"}
FEE_PROCEDURES = {"2.000555", "1.001234"}  # procedures whose dossiers may carry a fee

COMMUNE_TASKS_DONE = {  # snapshot date -> tasks done (of 16) per commune, in the order of COMMUNES
    date(2025, 7, 22): [14, 13, 13, 12, 10, 9],
    date(2025, 8, 6): [16, 16, 15, 14, 12, 10],
}
TASKS_PER_COMMUNE = 16

PROVINCES = [  # the 34 provinces after the 2025 reform (code, name as the national table writes it)
    ("01", "Thành phố Hà Nội"), ("04", "Tỉnh Cao Bằng"), ("08", "Tỉnh Tuyên Quang"), ("11", "Tỉnh Điện Biên"),
    ("12", "Tỉnh Lai Châu"), ("14", "Tỉnh Sơn La"), ("15", "Tỉnh Lào Cai"), ("19", "Tỉnh Thái Nguyên"),
    ("20", "Tỉnh Lạng Sơn"), ("22", "Tỉnh Quảng Ninh"), ("24", "Tỉnh Bắc Ninh"), ("25", "Tỉnh Phú Thọ"),
    ("31", "Thành phố Hải Phòng"), ("33", "Tỉnh Hưng Yên"), ("37", "Tỉnh Ninh Bình"), ("38", "Tỉnh Thanh Hóa"),
    ("40", HOME_NAME), ("42", "Tỉnh Hà Tĩnh"), ("44", "Tỉnh Quảng Trị"), ("46", "Thành phố Huế"),
    ("48", "Thành phố Đà Nẵng"), ("51", "Tỉnh Quảng Ngãi"), ("52", "Tỉnh Gia Lai"), ("56", "Tỉnh Khánh Hòa"),
    ("66", "Tỉnh Đắk Lắk"), ("68", "Tỉnh Lâm Đồng"), ("75", "Tỉnh Đồng Nai"), ("79", "Thành phố Hồ Chí Minh"),
    ("80", "Tỉnh Tây Ninh"), ("82", "Tỉnh Đồng Tháp"), ("86", "Tỉnh Vĩnh Long"), ("91", "Tỉnh An Giang"),
    ("92", "Thành phố Cần Thơ"), ("96", "Tỉnh Cà Mau"),
]
SNAPSHOTS = (date(2025, 7, 22), date(2025, 8, 6))
# What the national table shows for the home province (the ranking mart recomputes its own values).
HOME_REPORTED = {SNAPSHOTS[0]: (70.10, 70.00), SNAPSHOTS[1]: (72.35, 85.00)}

# figure_id, report_ref, label_vi, metric, value, unit
PUBLISHED = [
    ("P1_ratio", "P1", "tỷ lệ nộp hồ sơ trực tuyến (tỉnh)", "online_ratio", 74.03, "percent"),
    ("P1_received", "P1", "tổng số hồ sơ tiếp nhận", "received", 77, "count"),
    ("P1_online", "P1", "số hồ sơ trực tuyến", "online", 57, "count"),
    ("P1_returned", "P1", "số hồ sơ đã trả", "returned", 39, "count"),
    ("P2_rank", "P2", "xếp hạng tỷ lệ trực tuyến", "rank", 20, "rank"),
    ("P2_rank_change", "P2", "tăng bậc so với 22/07/2025", "rank_change", 5, "rank"),
    ("P3_received", "P3", "Toàn tỉnh: hồ sơ trên Cổng DVCQG", "received", 38, "count"),
    ("P3_online", "P3", "Toàn tỉnh: hồ sơ trực tuyến", "online", 29, "count"),
    ("P3_ratio", "P3", "Toàn tỉnh: tỷ lệ trực tuyến", "online_ratio", 76.32, "percent"),
    ("P4_received", "P4", "Cấp xã: hồ sơ trên Cổng DVCQG", "received", 39, "count"),
    ("P4_online", "P4", "Cấp xã: hồ sơ trực tuyến", "online", 28, "count"),
    ("P4_ratio", "P4", "Cấp xã: tỷ lệ trực tuyến", "online_ratio", 96.55, "percent"),
    ("P5_done_16", "P5", "số xã hoàn thành 16/16 nhiệm vụ", "communes", 2, "count"),
    ("P5_below_70pct", "P5", "số xã dưới 70%", "communes", 1, "count"),
    ("P6_rank", "P6", "xếp hạng tiến độ nhiệm vụ cấp xã", "rank", 20, "rank"),
    ("P6_rank_change", "P6", "tăng bậc so với 22/07/2025", "rank_change", 2, "rank"),
    ("P7_total", "P7", "nhiệm vụ cấp tỉnh", "tasks", 5, "count"),
    ("P7_done", "P7", "đã hoàn thành", "tasks", 3, "count"),
    ("P7_in_progress", "P7", "đang thực hiện trong hạn", "tasks", 1, "count"),
    ("P8_procedures", "P8", "thủ tục không phụ thuộc địa giới hành chính", "procedures", 205, "count"),
    ("P8_pending", "P8", "thủ tục đang chờ phê duyệt", "procedures", 1, "count"),
    ("P9_lookups", "P9", "lượt tra cứu kho dữ liệu điện tử", "lookups", 1128038, "count"),
]


@dataclass(frozen=True)
class Dossier:
    code: str
    unit: str
    province: str
    level: str
    procedure: str
    channel: int
    status: int
    received_at: datetime
    is_test: bool = False
    synced: bool = True
    fee: int = 0  # one fee of this amount (a portal list row) when above 0
    paid_online: bool | None = False  # None: unknown (a provincial export carries no payment field)
    digitised: bool | None = False  # HoSoCoThanhPhanSoHoa; None: unknown


def dossiers() -> list[Dossier]:
    """Every dossier of the test world, counted or not."""
    out = []
    for n, u in enumerate(UNITS):
        channels = [2] * u.online + [1] * u.in_person + [3] * u.postal
        random.Random(u.code).shuffle(channels)
        for i, ch in enumerate(channels):
            received = datetime(2025, 7, 1, 8 + i % 8, i % 60, tzinfo=VN) + timedelta(days=(3 * i + n) % 37)
            if u.level == "commune":
                proc = "1.000001" if (ch == 1 and u.muc_do_2_in_person) else "1.001234"
            else:
                proc = "2.000888" if (ch == 1 and u.muc_do_2_in_person) else PROCEDURE_OF[u.code]
            # Every third dossier of the fee-bearing procedures carries a fee; online ones of them with an even i
            # were paid online; every fourth dossier has a digitised component. Unknown when not synced.
            fee = 50000 if proc in FEE_PROCEDURES and i % 3 == 0 else 0
            paid = (fee > 0 and ch == 2 and i % 2 == 0) if u.synced else None
            digitised = (i % 4 == 0) if u.synced else None
            out.append(Dossier(f"{u.e_id}-{received:%y%m%d}-{i + 1:04d}", u.code, HOME, u.level, proc, ch,
                               10 if i % 2 == 0 else 4, received, synced=u.synced, fee=fee if u.synced else 0,
                               paid_online=paid, digitised=digitised))
    # Dossiers that the window metrics must leave out.
    out += [
        Dossier("000.16.70.H40-250702-9001", "16702", HOME, "commune", "1.001234", 2, 10,
                datetime(2025, 7, 2, 9, 0, tzinfo=VN), is_test=True),
        Dossier("000.00.01.H40-250806-9002", "40S01", HOME, "province", "2.000555", 1, 2,
                datetime(2025, 8, 6, 16, 0, tzinfo=VN)),
        Dossier("000.00.01.H40-250630-9003", "40S01", HOME, "province", "2.000555", 2, 10,
                datetime(2025, 6, 30, 23, 59, 59, tzinfo=VN)),
        Dossier("000.00.01.H42-250702-0001", "42S01", "42", "province", "2.000555", 2, 10,
                datetime(2025, 7, 2, 10, 0, tzinfo=VN)),
    ]
    return out


def counted_dossiers() -> list[Dossier]:
    return [d for d in dossiers() if d.province == HOME and not d.is_test
            and datetime(2025, 7, 1, tzinfo=VN) <= d.received_at < datetime(2025, 8, 6, 16, tzinfo=VN)]


def home_online_pct(snapshot: date) -> float:
    """The home province's online ratio (definition A) of the dossiers received before the snapshot date 16:00."""
    cut = datetime(snapshot.year, snapshot.month, snapshot.day, 16, tzinfo=VN)
    ds = [d for d in counted_dossiers() if d.received_at < cut]
    return 100 * sum(d.channel == 2 for d in ds) / len(ds)


def home_task_pct(snapshot: date) -> float:
    return 100 * sum(COMMUNE_TASKS_DONE[snapshot]) / (TASKS_PER_COMMUNE * len(COMMUNES))


RANKS = {  # snapshot -> (online rank, commune-task rank) of the home province among the 34
    SNAPSHOTS[0]: (25, 22),
    SNAPSHOTS[1]: (20, 20),
}


def province_snapshot_values() -> list[tuple[date, str, str, float, float]]:
    """(snapshot, code, name, online %, commune task %) of the national table. The 33 other provinces are placed
    around the home province's recomputed values (rank - 1 of them above it, the rest below), in an order that
    changes between the snapshots."""
    others = [p for p in PROVINCES if p[0] != HOME]

    def spread(home_value: float, rank: int, rotation: int, step: float) -> dict[str, float]:
        order = others[rotation:] + others[:rotation]
        above = rank - 1
        values = {}
        for k, (code, _) in enumerate(order):
            if k < above:
                values[code] = round(min(100.0, home_value + 0.5 + step * (above - 1 - k)), 2)
            else:
                values[code] = round(max(0.0, home_value - 0.5 - step * (k - above)), 2)
        return values

    rows = []
    for n, snap in enumerate(SNAPSHOTS):
        online = spread(home_online_pct(snap), RANKS[snap][0], 7 - 4 * n, 0.9 - 0.2 * n)
        tasks = spread(home_task_pct(snap), RANKS[snap][1], 11 - 6 * n, 0.6 - 0.1 * n)
        for code, name in PROVINCES:
            if code == HOME:
                rows.append((snap, code, name, *HOME_REPORTED[snap]))
            else:
                rows.append((snap, code, name, online[code], tasks[code]))
    return rows


def fill_warehouse(con) -> None:
    """Insert the test world into an empty warehouse (schema applied)."""
    lineage = ("test-world.csv", "0" * 64, "test-load")
    con.executemany(
        "INSERT INTO ref.units (unit_code, unit_name, level, unit_kind, e_identifier, province_code, province_name, "
        "unit_name_key, source_file, source_sha256, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, lower(?), ?, ?, ?)",
        [(u.code, u.name, u.level, u.kind, u.e_id, HOME, HOME_NAME, u.name, *lineage) for u in UNITS]
        + [(*OTHER_PROVINCE_UNIT, OTHER_PROVINCE_UNIT[1], *lineage)])
    con.executemany(
        "INSERT INTO ref.procedures (procedure_code, procedure_name, field_code, field_name, level, muc_do, "
        "boundary_free, boundary_free_status, owner_unit_code, source_file, source_sha256, load_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [(*p, *lineage) for p in PROCEDURES])
    con.executemany(
        "INSERT INTO ref.published_figures (figure_id, report_ref, label_vi, metric, value, unit, as_of, "
        "source_file, source_sha256, load_id) VALUES (?, ?, ?, ?, ?, ?, '2025-08-06 16:00:00', ?, ?, ?)",
        [(*p, *lineage) for p in PUBLISHED])
    procs = {p[0]: p for p in PROCEDURES}
    rows = []
    for n, d in enumerate(dossiers()):
        event = d.received_at + timedelta(days=2)
        rows.append((
            d.code, d.procedure, procs[d.procedure][1], d.unit, d.province, d.level, d.channel, str(d.channel),
            d.status, str(d.status), d.received_at, d.received_at + timedelta(days=5),
            event if d.status == 10 else None, event if d.status == 10 else None, d.is_test, d.digitised, d.paid_online,
            event, 2 if d.synced else 1, "portal_json" if d.synced else "provincial_csv", lineage[0], lineage[1],
            n, "test-load", "test-load", "portal_json" if d.synced else "provincial_csv", 1, d.synced))
    con.executemany(
        "INSERT INTO core.dossiers (dossier_code, procedure_code, procedure_name, unit_code, province_code, level, "
        "channel, channel_raw, status, status_raw, received_at, due_at, processed_at, returned_at, is_test, "
        "has_digitised_component, paid_online, event_at, source_rank, source_format, source_file, source_sha256, "
        "source_row, load_id, first_load_id, sources, observations, synced_to_portal) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.executemany(
        "INSERT INTO core.dossier_fees (dossier_code, position, fee_name, fee_code, amount, source_file, source_sha256, "
        "source_row, load_id) VALUES (?, 0, 'Lệ phí', 'LP', ?, ?, ?, ?, 'test-load')",
        [(d.code, d.fee, lineage[0], lineage[1], n) for n, d in enumerate(dossiers()) if d.fee])
    task_rows = []
    for snap, done_counts in COMMUNE_TASKS_DONE.items():
        for u, done in zip(COMMUNES, done_counts):
            for t in range(1, TASKS_PER_COMMUNE + 1):
                task_rows.append((snap, u.code, u.name, f"NV{t:02d}", f"Nhiệm vụ {t}", t <= done, snap, *lineage))
    con.executemany(
        "INSERT INTO core.commune_tasks (snapshot_date, commune_code, commune_name, task_code, task_name, is_done, "
        "updated_on, source_file, source_sha256, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", task_rows)
    snap = SNAPSHOTS[1]
    con.executemany(
        "INSERT INTO core.province_tasks (snapshot_date, task_code, task_name, lead_unit, deadline, status_label, "
        "is_done, done_on, source_file, source_sha256, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(snap, code, f"Nhiệm vụ tỉnh {code[-1]}", lead, deadline, label, done, done_on, *lineage)
         for code, lead, deadline, label, done, done_on in [
             ("NVT01", "Sở Nội vụ", date(2025, 7, 31), "Hoàn thành", True, date(2025, 7, 30)),
             ("NVT02", "Sở Y tế", date(2025, 8, 15), "Hoàn thành", True, date(2025, 8, 1)),
             ("NVT03", "Sở Xây dựng", date(2025, 8, 5), "Hoàn thành", True, date(2025, 8, 5)),
             ("NVT04", "Sở Nội vụ", date(2025, 8, 31), "Đang thực hiện", False, None),   # open, within deadline
             ("NVT05", "Sở Y tế", date(2025, 8, 1), "Đang thực hiện", False, None)]])    # open, overdue
    con.executemany(
        "INSERT INTO core.province_snapshot (snapshot_date, province_code, province_name, online_ratio_pct, "
        "commune_task_pct, source_file, source_sha256, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*r, *lineage) for r in province_snapshot_values()])


# The load records of the test world (meta.loads, meta.files, core.quarantine, meta.validations), for the data_quality
# tables: a reference load, a failed load, and the load of the exports: a portal batch (10 records: 8 loaded, 2
# quarantined, 1 warned), a provincial CSV (5 records: 4 loaded, 1 quarantined that arrived corrected), a CSV refused
# whole and a duplicate batch. The failed load had validated the portal batch before (counted once: the latest).
LOADS = [  # load_id, partition_range, started_at (UTC), status
    ("20250806T230000-aaaaaaa1", "reference", datetime(2025, 8, 6, 23, 0, tzinfo=timezone.utc), "succeeded"),
    ("20250806T231000-aaaaaaa2", "2025-07-01..2025-08-06", datetime(2025, 8, 6, 23, 10, tzinfo=timezone.utc),
     "failed"),
    ("20250806T232000-aaaaaaa3", "2025-07-01..2025-08-06", datetime(2025, 8, 6, 23, 20, tzinfo=timezone.utc),
     "succeeded"),
]
PORTAL_BATCH = "portal/hoso-20250702-01.json"
CSV_EXPORT = "provincial/17329-hoso-20250806.csv"
FILES = [  # relpath, sha256, load, kind, outcome, reason, read, loaded, quarantined, warned
    ("reference/units.csv", "1" * 64, 0, "units", "loaded", None, 9, 9, 0, 0),
    (PORTAL_BATCH, "2" * 64, 2, "portal_dossiers", "loaded", None, 10, 8, 2, 1),
    (CSV_EXPORT, "3" * 64, 2, "provincial_csv", "loaded", None, 5, 4, 1, 0),
    ("provincial/17344-hoso-20250806.csv", "4" * 64, 2, "provincial_csv", "rejected",
     "provincial/17344-hoso-20250806.csv: line 3: 12 fields, the header has 20", 0, 0, 0, 0),
    ("portal/hoso-20250702-02.json", "2" * 64, 2, "portal_dossiers", "duplicate_file",
     f"the same bytes as {PORTAL_BATCH} (same sha256), already loaded", 0, 0, 0, 0),
]
# A dossier code and a phone number in the failing values: they must not reach the snapshot.
QUARANTINED = [  # file, row, reason, reasons, failed_values, dossier_code, resolved
    (PORTAL_BATCH, 3, "unknown_unit", "unknown_unit; unknown_channel",
     "DonViXuLy='Xã Không Có', KenhThucHien='9'", "000.17.29.H40-250702-0901", False),
    (PORTAL_BATCH, 7, "missing_dossier_code", "missing_dossier_code", "MaHoSo=null", None, False),
    (CSV_EXPORT, 2, "received_at_invalid", "received_at_invalid", "Ngày tiếp nhận='31/06/2025 0912345678'",
     "000.17.32.H40-250806-0902", True),
]
VALIDATIONS = [  # load, file, expectation_id, reason, severity, scope, success, elements, unexpected
    (1, PORTAL_BATCH, "dossiers.unit_known", "unknown_unit", "critical", "row", False, 10, 4),  # superseded
    (2, PORTAL_BATCH, "dossiers.unit_known", "unknown_unit", "critical", "row", False, 10, 1),
    (2, PORTAL_BATCH, "dossiers.channel_known", "unknown_channel", "critical", "row", False, 10, 1),
    (2, PORTAL_BATCH, "dossiers.code_present", "missing_dossier_code", "critical", "row", False, 10, 1),
    (2, PORTAL_BATCH, "dossiers.id_number_length", "id_number_length", "warning", "row", False, 10, 1),
    (2, PORTAL_BATCH, "dossiers.status_known", "unknown_status", "critical", "row", True, 10, 0),
    (2, CSV_EXPORT, "dossiers.received_at_valid", "received_at_invalid", "critical", "row", False, 5, 1),
    (2, CSV_EXPORT, "dossiers.unit_known", "unknown_unit", "critical", "row", True, 5, 0),
]


def fill_meta(con) -> None:
    """Insert the load records of the test world (LOADS, FILES, QUARANTINED, VALIDATIONS)."""
    con.executemany(
        "INSERT INTO meta.loads (load_id, partition_range, started_at, finished_at, status, files, seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, 1.5)",
        [(lid, rng, at, at + timedelta(minutes=2), status, sum(f[2] == n for f in FILES))
         for n, (lid, rng, at, status) in enumerate(LOADS)])
    con.executemany(
        "INSERT INTO meta.files (relpath, sha256, load_id, kind, outcome, reason, records_read, records_loaded, "
        "records_quarantined, records_warned, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1000)",
        [(f[0], f[1], LOADS[f[2]][0], *f[3:]) for f in FILES])
    sha = {f[0]: f[1] for f in FILES}
    con.executemany(
        "INSERT INTO core.quarantine (entity, dossier_code, reason, reasons, failed_values, source_file, "
        "source_sha256, source_row, load_id, resolved_by_load_id) VALUES ('dossiers', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(code, reason, reasons, values, file, sha[file], row, LOADS[2][0], LOADS[2][0] if resolved else None)
         for file, row, reason, reasons, values, code, resolved in QUARANTINED])
    con.executemany(
        "INSERT INTO meta.validations (load_id, source_file, suite, expectation_id, expectation_type, reason, "
        "severity, scope, success, element_count, unexpected_count, sample_values, validated_at) "
        "VALUES (?, ?, 'dossiers', ?, 'expect_column_values_to_be_in_set', ?, ?, ?, ?, ?, ?, ?, ?)",
        [(LOADS[n][0], file, exp, reason, severity, scope, success, elements, unexpected,
          None if success else "000.17.29.H40-250702-0901", LOADS[n][2])
         for n, file, exp, reason, severity, scope, success, elements, unexpected in VALIDATIONS])


def build_warehouse(folder: Path, params: MartParams = MartParams()) -> Path:
    """Warehouse with the test world -> `dbt build` (marts, views, tests). Returns the warehouse's path; nothing is
    left open on it. Fails with dbt's log when a model or a test fails."""
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "warehouse.duckdb"
    con = connect(warehouse)
    try:
        apply_schema(con)
        fill_warehouse(con)
        fill_meta(con)
    finally:
        con.close()
    res = build_marts(warehouse, params)
    assert res["returncode"] == 0, res["log"][-5000:]
    return warehouse


def build_snapshot(folder: Path, params: MartParams = MartParams(),
                   extra_marts: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> Path:
    """build_warehouse() -> published snapshot (marts and bao_cao views), in `folder`. Returns the analytics
    snapshot's path; nothing is left open on it. `extra_marts(con)` runs after the marts are built, so that publish
    copies what it creates too.

    Without extra_marts, the world is built once per test process for each params and `folder` gets a copy of its
    two files: a dozen modules start from it, and each build is a `dbt build` (~15 s)."""
    if extra_marts is None:
        if params not in _BUILT:
            built = Path(tempfile.mkdtemp(prefix="hoso-snapshot-world-"))
            atexit.register(shutil.rmtree, built, ignore_errors=True)
            _BUILT[params] = _build_snapshot(built, params, None).parent
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("warehouse.duckdb", "analytics.duckdb"):
            shutil.copyfile(_BUILT[params] / name, folder / name)
        return folder / "analytics.duckdb"
    return _build_snapshot(folder, params, extra_marts)


_BUILT: dict[MartParams, Path] = {}


def _build_snapshot(folder: Path, params: MartParams,
                    extra_marts: Callable[[duckdb.DuckDBPyConnection], None] | None) -> Path:
    warehouse = build_warehouse(folder, params)
    analytics = folder / "analytics.duckdb"
    con = connect(warehouse)
    try:
        if extra_marts is not None:
            extra_marts(con)
        publish(con, analytics, TEST_KEY)
    finally:
        con.close()
    return analytics
