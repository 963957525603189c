"""The sample world, read back independently of the generator: plain json/csv/openpyxl and DuckDB over the files,
with the rules of docs/data-contracts.md (duplicate files skipped, quarantine, one dossier per code, the latest
observation wins, the window). The figures checked come from the files themselves and from
reference/published_figures.csv (the report the world is built to), never from the generator's code."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pytest

from samples.generate import generate_world, summary_lines

WINDOW = (datetime(2025, 7, 1), datetime(2025, 8, 6, 16, 0, 0))
AS_OF = WINDOW[1]
HOSO_FIELDS = [
    "MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien", "SoGiayToChuHoSo", "ChuHoSo",
    "LoaiDoiTuong", "MaDoiTuong", "ThongTinKhac", "Email", "Fax", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan",
    "NgayHenTra", "TrangThaiHoSo", "NgayTra", "ThongTinTra", "HinhThuc", "NgayKetThucXuLy", "DonViXuLy", "GhiChu",
    "TaiLieuNop", "DanhSachLePhi", "DanhSachTepDinhKemKhac", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
    "NoiNopHoSo", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "NgayTuChoi",
    "DinhDanhCHS", "NgayNopHoSo", "DSKetNoiCSDL"]
NESTED = {
    "TaiLieuNop": {"TepDinhKemId", "TenTepDinhKem", "IsDeleted", "MaThanhPhanHoSo", "DuongDanTaiTepTin", "DuocSoHoa",
                   "DuocTaiSuDung", "DuocLayTuKhoDMQG", "MaKetQuaThayThe"},
    "DanhSachLePhi": {"TenPhiLePhi", "MaPhiLePhi", "HinhThucThu", "Gia", "LoaiPhiLePhi"},
    "DanhSachGiayToKetQua": {"TenGiayTo", "MaThanhPhanHoSo", "GiayToId", "DuongDanTepTinKetQua", "MaGiayToKetQua"},
    "DinhDanhCHS": {"LoaiDinhDanh", "SoDinhDanh"},
}
XULY_FIELDS = ["MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai",
               "NgayBatDau", "NgayKetThucTheoQuyDinh"]
VARIANT_A = ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Mã thủ tục", "Lĩnh vực", "Đơn vị tiếp nhận", "Trạng thái",
             "Chủ hồ sơ", "Địa chỉ", "Ngày nộp hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý",
             "Ngày trả kết quả", "Hình thức nộp"]
VARIANT_B = ["STT", "Số hồ sơ", "Tên thủ tục", "Mã TTHC", "Lĩnh vực", "Đơn vị xử lý", "Tình trạng", "Người nộp",
             "Số điện thoại", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Ngày trả", "Kênh nộp"]
# The contract's header aliases (§2.2) and labels, as a reader of the exports would write them.
ALIASES = {"mã hồ sơ": "code", "số hồ sơ": "code", "mã thủ tục": "procedure_code", "mã tthc": "procedure_code",
           "đơn vị tiếp nhận": "unit", "đơn vị xử lý": "unit", "trạng thái": "status", "tình trạng": "status",
           "ngày nộp hồ sơ": "submitted", "ngày nộp": "submitted", "ngày tiếp nhận": "received",
           "ngày nhận": "received", "ngày hẹn trả": "due", "ngày kết thúc xử lý": "processed",
           "ngày trả kết quả": "returned", "ngày trả": "returned", "hình thức nộp": "channel", "kênh nộp": "channel",
           "loại tiếp nhận": "channel"}
CHANNEL_LABELS = {"trực tiếp": "1", "": "1", "trực tuyến": "2", "nộp trực tuyến": "2", "qua bưu chính công ích": "3",
                  "bcci": "3", "bưu chính công ích": "3"}
STATUS_LABELS = {"mới đăng ký": 1, "đã tiếp nhận": 2, "mới tiếp nhận": 2, "từ chối": 3, "không tiếp nhận": 3,
                 "đang xử lý": 4, "yêu cầu bổ sung": 5, "chờ bổ sung": 5, "chờ thực hiện nghĩa vụ tài chính": 6,
                 "công dân rút hồ sơ": 7, "rút hồ sơ": 7, "dừng xử lý": 8, "đã xử lý xong": 9, "chờ trả kết quả": 9,
                 "đã trả kết quả": 10}


def norm(s) -> str:
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(s or "")).casefold()).strip()
    return s[5:] if s.startswith("ubnd ") else s


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path} has no BOM"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def published(landing: Path) -> dict[str, Decimal]:
    return {r["figure_id"]: Decimal(r["value"]) for r in read_csv(landing / "reference/published_figures.csv")}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pct(num: int, den: int) -> Decimal:
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def xlsx_rows(path: Path) -> list[dict]:
    """Data rows of a provincial XLSX, keyed by header, the header row found as the contract says."""
    ws = openpyxl.load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if "STT" in r and ({"Mã hồ sơ", "Số hồ sơ"} & set(r)))
    header = rows[h]
    return [dict(zip(header, r)) for r in rows[h + 1:]]


def provincial_observations(landing: Path) -> list[tuple]:
    """(file, row, code, unit, status, channel, received, processed, returned, submitted, due, batch_seq) of every
    provincial export record; dates as text dd/MM/yyyy[ HH:mm:ss] (a real XLSX date is written back as text)."""
    out = []
    for path in sorted((landing / "provincial").iterdir()):
        rows = read_csv(path) if path.suffix == ".csv" else xlsx_rows(path)
        stamp = re.search(r"-(\d{8})\.", path.name).group(1)
        for i, r in enumerate(rows):
            c = {ALIASES[norm(k)]: v for k, v in r.items() if norm(k) in ALIASES}
            for k, v in c.items():
                if isinstance(v, datetime):
                    c[k] = v.strftime("%d/%m/%Y %H:%M:%S")
                elif v is None:
                    c[k] = ""
            out.append((path.relative_to(landing).as_posix(), i, c["code"], c["unit"],
                        STATUS_LABELS.get(norm(c["status"])), CHANNEL_LABELS.get(norm(c["channel"]), "?"),
                        c["received"], c.get("processed", ""), c.get("returned", ""), c.get("submitted", ""),
                        c.get("due", ""), int(stamp) * 100))
    return out


def load_world(landing: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `obs` (every dossier observation, with its quarantine reason or null) and `final`
    (one row per loaded dossier code: its winning observation), by the contract's rules."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE units AS SELECT * FROM read_csv('{landing}/reference/units.csv', all_varchar=true)")
    con.execute(f"CREATE TABLE procs AS SELECT * FROM read_csv('{landing}/reference/procedures.csv', all_varchar=true)")
    con.execute("CREATE TABLE unit_names AS SELECT *, lower(unit_name) AS key FROM units")
    seen, files = set(), []
    for path in sorted((landing / "portal").glob("hoso-*.json")):
        digest = sha256(path)
        if digest not in seen:  # a file whose bytes were already loaded is skipped
            seen.add(digest)
            files.append(str(path))
    cols = {k: "VARCHAR" for k in ("MaHoSo", "MaTTHC", "KenhThucHien", "TrangThaiHoSo", "NgayTiepNhan",
                                   "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "DonViXuLy", "TrichYeuHoSo",
                                   "SoGiayToChuHoSo", "NgayNopHoSo", "NgayHenTra")}
    con.execute(f"CREATE TABLE portal AS SELECT * FROM read_json({files!r}, format='array', columns={cols!r}, "
                "filename=true)")
    prov = provincial_observations(landing)
    names = ("file", "row_i", "code", "unit", "status", "channel", "received", "processed", "returned", "submitted",
             "due", "batch_seq")
    types = (pa.string(), pa.int32(), pa.string(), pa.string(), pa.int32(), pa.string(), pa.string(), pa.string(),
             pa.string(), pa.string(), pa.string(), pa.int64())
    con.register("prov_rows", pa.table({n: pa.array([r[i] for r in prov], type=t)
                                        for i, (n, t) in enumerate(zip(names, types))}))
    con.execute("CREATE TABLE prov AS SELECT * FROM prov_rows")
    fmt, dmy = "'%Y%m%d%H%M%S'", "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y']"
    con.execute(f"""
        CREATE TABLE raw AS
        SELECT regexp_extract(filename, '(portal/.*)$', 1) AS file, 2 AS source_rank,
               CAST(regexp_replace(regexp_extract(filename, 'hoso-(\\d{{8}}-\\d{{2}})', 1), '-', '') AS BIGINT) AS batch_seq,
               nullif(trim(MaHoSo), '') AS code, lower(trim(DonViXuLy)) AS unit_key, MaTTHC AS procedure_code,
               CASE WHEN coalesce(KenhThucHien, '') = '' THEN '1' ELSE KenhThucHien END AS channel,
               try_cast(TrangThaiHoSo AS INT) AS status,
               try_strptime(NgayTiepNhan, {fmt}) AS received, try_strptime(nullif(NgayKetThucXuLy, ''), {fmt}) AS processed,
               try_strptime(nullif(NgayTra, ''), {fmt}) AS returned, try_strptime(nullif(NgayTuChoi, ''), {fmt}) AS refused,
               try_strptime(nullif(NgayNopHoSo, ''), {fmt}) AS submitted, try_strptime(nullif(NgayHenTra, ''), {fmt}) AS due,
               contains(lower(coalesce(MaHoSo, '') || ' ' || coalesce(TrichYeuHoSo, '')), 'test') AS is_test,
               SoGiayToChuHoSo AS owner_id
        FROM portal
        UNION ALL
        SELECT file, 1, batch_seq, nullif(trim(code), ''),
               lower(regexp_replace(trim(unit), '^(?i:UBND) ', '')), NULL, channel, status,
               try_strptime(received, {dmy}), try_strptime(nullif(processed, ''), {dmy}),
               try_strptime(nullif(returned, ''), {dmy}), NULL, try_strptime(nullif(submitted, ''), {dmy}),
               try_strptime(nullif(due, ''), {dmy}), contains(lower(coalesce(code, '')), 'test'), NULL
        FROM prov
    """)
    con.execute("""
        CREATE TABLE obs AS
        SELECT r.*, u.unit_code, u.level, u.province_code,
               CASE WHEN r.code IS NULL THEN 'missing_dossier_code'
                    WHEN r.received IS NULL THEN 'received_at_invalid'
                    WHEN r.returned < r.received THEN 'returned_before_received'
                    WHEN r.processed < r.received THEN 'processed_before_received'
                    WHEN u.unit_code IS NULL THEN 'unknown_unit'
                    WHEN r.channel NOT IN ('1', '2', '3') THEN 'unknown_channel'
                    WHEN r.status IS NULL OR r.status NOT BETWEEN 1 AND 10 THEN 'unknown_status'
                    WHEN r.procedure_code IS NOT NULL AND p.procedure_code IS NULL THEN 'unknown_procedure'
               END AS quarantine
        FROM raw r LEFT JOIN unit_names u ON u.key = r.unit_key
        LEFT JOIN procs p ON p.procedure_code = r.procedure_code
    """)
    con.execute("""
        CREATE TABLE final AS
        SELECT * EXCLUDE (rn), count(*) OVER (PARTITION BY code) AS n_obs FROM (
            SELECT *, row_number() OVER (PARTITION BY code ORDER BY greatest(received, processed, returned, refused) DESC,
                                         source_rank DESC, batch_seq DESC, file DESC) AS rn
            FROM obs WHERE quarantine IS NULL) WHERE rn = 1
    """)
    con.execute(f"""
        CREATE VIEW universe AS SELECT * FROM final
        WHERE received >= TIMESTAMP '{WINDOW[0]}' AND received < TIMESTAMP '{WINDOW[1]}' AND NOT is_test
    """)
    return con


def slices(con, province: str = "40") -> dict:
    rows = con.execute("""
        SELECT level, count(*), count(*) FILTER (WHERE channel = '2'), count(*) FILTER (WHERE status = 10)
        FROM universe WHERE province_code = ? GROUP BY level""", [province]).fetchall()
    d = {lvl: {"received": r, "online": o, "returned": t} for lvl, r, o, t in rows}
    d["all"] = {k: d["province"][k] + d["commune"][k] for k in ("received", "online", "returned")}
    return d


def home_online_pct(con, cut: datetime) -> Decimal:
    n, o = con.execute("SELECT count(*), count(*) FILTER (WHERE channel = '2') FROM universe "
                       "WHERE province_code = '40' AND received < ?", [cut]).fetchone()
    return pct(o, n)


def task_counts(landing: Path, stamp: str) -> dict[str, set[str]]:
    done: dict[str, set[str]] = {}
    rows = read_csv(landing / f"tasks/nq57-xa-{stamp}.csv")
    assert len(rows) == 130 * 16
    for r in rows:
        done.setdefault(r["Mã xã"], set())
        if r["Trạng thái"] == "Hoàn thành":
            done[r["Mã xã"]].add(r["Mã nhiệm vụ"])
    return done


def ranks(landing: Path) -> dict[str, dict[str, tuple[int, Decimal, float]]]:
    """Nghệ An's rank (descending), value and distance to the nearest other province, per date and indicator."""
    rows = read_csv(landing / "tasks/xep-hang-tinh.csv")
    out: dict = {}
    for day in sorted({r["Ngày"] for r in rows}):
        at = [r for r in rows if r["Ngày"] == day]
        assert len(at) == 34 and len({r["Mã tỉnh"] for r in at}) == 34
        for col, key in (("Tỷ lệ nộp trực tuyến (%)", "online"), ("Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)", "tasks")):
            home = Decimal(next(r[col] for r in at if r["Mã tỉnh"] == "40"))
            others = [Decimal(r[col]) for r in at if r["Mã tỉnh"] != "40"]
            out.setdefault(day, {})[key] = (1 + sum(v > home for v in others), home,
                                            float(min(abs(v - home) for v in others)))
    return out


# ---------------------------------------------------------------- the full world: the report's figures


@pytest.fixture(scope="module")
def world(world_dir):
    con = load_world(world_dir)
    yield con
    con.close()


@pytest.mark.slow
def test_clean_universe_reproduces_the_report(world, world_dir):
    p = published(world_dir)
    s = slices(world)
    assert (s["all"]["received"], s["all"]["online"]) == (p["P1_received"], p["P1_online"])
    assert (s["province"]["received"], s["province"]["online"]) == (p["P3_received"], p["P3_online"])
    assert (s["commune"]["received"], s["commune"]["online"]) == (p["P4_received"], p["P4_online"])
    assert s["all"]["returned"] == p["P1_returned"]
    assert pct(s["all"]["online"], s["all"]["received"]) == p["P1_ratio"]
    assert pct(s["province"]["online"], s["province"]["received"]) == p["P3_ratio"]
    assert pct(s["commune"]["online"], s["province"]["online"]) == p["P4_ratio"]  # the report's wrong denominator
    cu = json.loads((world_dir / "manifest.json").read_text(encoding="utf-8"))["clean_universe"]["40"]
    assert cu["all"] == s["all"] and cu["province_level"] == s["province"] and cu["commune_level"] == s["commune"]


@pytest.mark.slow
def test_communes_agencies_channels_and_statuses(world, world_dir):
    units = read_csv(world_dir / "reference/units.csv")
    communes = [u for u in units if u["level"] == "commune" and u["province_code"] == "40"]
    agencies = [u for u in units if u["level"] == "province" and u["province_code"] == "40"]
    assert len(communes) == 130 and 18 <= len(agencies) <= 22
    for name in ("Sở Xây dựng", "Sở Y tế", "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo",
                 "Sở Dân tộc và Tôn giáo", "Sở Nội vụ"):
        assert name in {a["unit_name"] for a in agencies}
    per = world.execute("""
        SELECT u.unit_kind, count(*), count(*) FILTER (WHERE channel = '2')
        FROM universe JOIN units u USING (unit_code) WHERE u.level = 'commune' GROUP BY unit_code, u.unit_kind""").fetchall()
    assert len(per) == 130
    ratios = [o / n for _, n, o in per]
    assert 5 <= sum(r < 0.70 for r in ratios) <= 65 and max(ratios) - min(ratios) > 0.2
    wards = [n for kind, n, _ in per if kind == "phường"]
    xa = sorted(n for kind, n, _ in per if kind == "xã")
    assert sum(wards) / len(wards) > 2 * xa[len(xa) // 2]  # wards are larger than the median commune
    channels = dict(world.execute("SELECT channel, count(*) FROM universe GROUP BY ALL").fetchall())
    assert set(channels) == {"1", "2", "3"} and channels["3"] < 0.05 * sum(channels.values())
    statuses = dict(world.execute("SELECT status, count(*) FROM universe GROUP BY ALL").fetchall())
    assert {2, 3, 4, 5, 6, 7, 8, 9, 10} <= set(statuses)


@pytest.mark.slow
def test_timestamps_are_consistent(world):
    bad = world.execute(f"""
        SELECT count(*) FILTER (WHERE submitted > received), count(*) FILTER (WHERE processed < received),
               count(*) FILTER (WHERE returned < processed OR (returned IS NOT NULL AND processed IS NULL)),
               count(*) FILTER (WHERE greatest(received, processed, returned, refused) > TIMESTAMP '{AS_OF}'),
               count(*) FILTER (WHERE due <= received), count(*) FILTER (WHERE status = 10 AND returned IS NULL)
        FROM universe""").fetchone()
    assert bad == (0, 0, 0, 0, 0, 0)
    office, weekday, n = world.execute("""
        SELECT count(*) FILTER (WHERE (hour(received) * 60 + minute(received)) BETWEEN 7 * 60 AND 17 * 60
                                  AND NOT (hour(received) * 60 + minute(received)) BETWEEN 11 * 60 + 30 AND 13 * 60 + 29),
               count(*) FILTER (WHERE isodow(received) <= 5), count(*) FROM universe""").fetchone()
    assert office > 0.95 * n and weekday > 0.97 * n


@pytest.mark.slow
def test_observations_per_dossier(world_dir, world):
    n_obs, n_codes = world.execute("SELECT count(*), count(DISTINCT code) FROM obs WHERE source_rank = 2").fetchone()
    assert 1.5 <= n_obs / n_codes <= 1.8


@pytest.mark.slow
def test_commune_tasks_province_tasks_and_ranks(world, world_dir):
    p = published(world_dir)
    final, mid = task_counts(world_dir, "20250806"), task_counts(world_dir, "20250722")
    dist = Counter(len(v) for v in final.values())
    assert dict(dist) == {d: int(p[f"P5_done_{d}"]) for d in (16, 15, 14, 13, 12)}
    assert sum(len(v) < 0.7 * 16 for v in final.values()) == p["P5_below_70pct"]
    assert all(mid[c] <= final[c] for c in final) and sum(map(len, mid.values())) < sum(map(len, final.values()))
    tasks = read_csv(world_dir / "tasks/nhiem-vu-tinh-20250806.csv")
    done = [t for t in tasks if t["Trạng thái"] == "Hoàn thành"]
    running = [t for t in tasks if t["Trạng thái"] == "Đang thực hiện"]
    assert (len(tasks), len(done), len(running)) == (p["P7_total"], p["P7_done"], p["P7_in_progress"])
    dmy = lambda s: datetime.strptime(s, "%d/%m/%Y").date()  # noqa: E731
    assert all(dmy(t["Hạn hoàn thành"]) > date(2025, 8, 6) and t["Ngày hoàn thành"] == "" for t in running)
    assert all(dmy(t["Ngày hoàn thành"]) <= min(dmy(t["Hạn hoàn thành"]), date(2025, 8, 6)) for t in done)
    r = ranks(world_dir)
    for day, cut, snap in (("22/07/2025", datetime(2025, 7, 22, 16), mid), ("06/08/2025", AS_OF, final)):
        assert r[day]["online"][1] == home_online_pct(world, cut)
        assert r[day]["tasks"][1] == pct(sum(map(len, snap.values())), 130 * 16)
        assert r[day]["online"][2] > 0.05 and r[day]["tasks"][2] > 0.05
    assert r["06/08/2025"]["online"][0] == p["P2_rank"]
    assert r["22/07/2025"]["online"][0] - r["06/08/2025"]["online"][0] == p["P2_rank_change"]
    assert r["06/08/2025"]["tasks"][0] == p["P6_rank"]
    assert r["22/07/2025"]["tasks"][0] - r["06/08/2025"]["tasks"][0] == p["P6_rank_change"]
    procs = read_csv(world_dir / "reference/procedures.csv")
    approved = [x for x in procs if x["boundary_free"] == "1" and x["boundary_free_status"] == "approved"]
    pending = [x for x in procs if x["boundary_free"] == "1" and x["boundary_free_status"] == "pending"]
    assert (len(approved), len(pending)) == (p["P8_procedures"], p["P8_pending"])
    assert len({x["owner_unit_code"] for x in pending}) == 5
    assert {x["muc_do"] for x in procs} == {"2", "3", "4"} and {x["level"] for x in procs} == {"province", "commune"}


@pytest.mark.slow
def test_provincial_exports_and_overlap(world, world_dir):
    in_portal = {r[0] for r in world.execute("SELECT DISTINCT code FROM obs WHERE source_rank = 2").fetchall()}
    files = sorted(p.name for p in (world_dir / "provincial").iterdir())
    csv_units = {f.split("-")[0] for f in files if f.endswith(".csv")}
    xlsx_units = {f.split("-")[0] for f in files if f.endswith(".xlsx")}
    assert 5 <= len(xlsx_units) + len(csv_units) - 2 <= 12 and not (xlsx_units & csv_units)
    overlap, only = set(), set()
    for unit in csv_units | xlsx_units:
        codes = {r[0] for r in world.execute("SELECT code FROM obs WHERE source_rank = 1 AND unit_code = ?",
                                             [unit]).fetchall()}
        (overlap if codes & in_portal else only).add(unit)
        if unit in overlap:
            assert codes <= in_portal
    assert len(overlap) == 2 and all(f"{u}-hoso-20250806.csv" in files for u in overlap)
    assert all(f"{u}-hoso-20250722.csv" in files for u in only & csv_units)
    # Same code, same final state in both sources.
    diff = world.execute("""
        SELECT count(*) FROM obs c JOIN final f USING (code)
        WHERE c.source_rank = 1 AND c.file LIKE '%20250806.csv' AND c.quarantine IS NULL AND f.source_rank = 2
          AND (c.status <> f.status OR c.returned IS DISTINCT FROM f.returned OR c.received <> f.received)""").fetchone()[0]
    assert diff == 0
    with (world_dir / f"provincial/{sorted(csv_units)[0]}-hoso-20250806.csv").open(encoding="utf-8-sig") as f:
        assert next(csv.reader(f)) == VARIANT_A
    ws = openpyxl.load_workbook(world_dir / "provincial" / next(f for f in files if f.endswith(".xlsx"))).active
    assert ws["A1"].value == "DANH SÁCH HỒ SƠ" and ws["A2"].value.startswith("Từ ngày 01/07/2025 đến ngày")
    assert [c.value for c in ws[5]] == VARIANT_B and {str(r) for r in ws.merged_cells.ranges} >= {"A1:N1", "A2:N2"}


# ---------------------------------------------------------------- the small world: shapes, defects, manifest


@pytest.fixture(scope="module")
def small(small_world_dir):
    con = load_world(small_world_dir)
    yield con
    con.close()


@pytest.fixture(scope="module")
def small_manifest(small_world_dir):
    return json.loads((small_world_dir / "manifest.json").read_text(encoding="utf-8"))


def test_small_world_matches_its_manifest(small, small_world_dir, small_manifest):
    p, m = published(small_world_dir), small_manifest
    scale = m["scale"]
    near = lambda x: int((x * Decimal(str(scale))).to_integral_value(rounding=ROUND_HALF_UP))  # noqa: E731
    cu = m["clean_universe"]["40"]
    assert (cu["province_level"]["received"], cu["province_level"]["online"]) == (near(p["P3_received"]), near(p["P3_online"]))
    assert (cu["commune_level"]["received"], cu["commune_level"]["online"]) == (near(p["P4_received"]), near(p["P4_online"]))
    assert cu["all"]["received"] == cu["province_level"]["received"] + cu["commune_level"]["received"]
    assert cu["all"]["returned"] == near(p["P1_returned"])
    s = slices(small)
    assert cu["all"] == s["all"] and cu["province_level"] == s["province"] and cu["commune_level"] == s["commune"]
    by_commune = dict(((u, (n, o)) for u, n, o in small.execute(
        "SELECT unit_code, count(*), count(*) FILTER (WHERE channel = '2') FROM universe WHERE level = 'commune' "
        "GROUP BY ALL").fetchall()))
    assert {u: (c["received"], c["online"]) for u, c in cu["by_commune"].items() if c["received"]} == by_commune
    assert cu["communes_with_dossiers"] == len(by_commune) == 130
    statuses = dict(small.execute("SELECT status::VARCHAR, count(*) FROM universe GROUP BY ALL").fetchall())
    assert cu["status_at_as_of"] == statuses
    # every file is listed, with its hash and record count, and nothing else
    on_disk = {p.relative_to(small_world_dir).as_posix() for p in small_world_dir.rglob("*") if p.is_file()}
    assert {f["path"] for f in m["files"]} == on_disk - {"manifest.json"}
    for f in m["files"]:
        path = small_world_dir / f["path"]
        assert sha256(path) == f["sha256"], f["path"]
        if path.suffix == ".json":
            n = len(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".csv":
            n = len(read_csv(path))
        else:
            n = len(xlsx_rows(path))
        assert n == f["records"], f["path"]
    assert summary_lines(m) and all(isinstance(x, str) for x in summary_lines(m))


def _records(landing: Path, rel: str) -> list[dict]:
    path = landing / rel
    if rel.endswith(".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    return read_csv(path) if rel.endswith(".csv") else xlsx_rows(path)


def _ts(s: str) -> datetime | None:
    for f in ("%Y%m%d%H%M%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            return datetime.strptime(s, f)
        except (TypeError, ValueError):
            pass
    return None


def test_each_listed_defect_is_in_its_file(small_world_dir, small_manifest):
    landing = small_world_dir
    unit_names = {norm(u["unit_name"]) for u in read_csv(landing / "reference/units.csv")}
    defects = small_manifest["defects"]
    assert Counter(d["outcome"] for d in defects).keys() >= {
        "file_skipped_duplicate", "quarantined", "loaded_outside_window", "loaded_test_excluded",
        "loaded_with_warning", "merged_latest_wins", "loaded_after_correction"}
    for d in defects:
        if d["outcome"] == "file_skipped_duplicate":
            m = re.match(r"(portal/\w+-\d{8}-)(\d{2})\.json", d["file"])
            earlier = landing / f"{m.group(1)}{int(m.group(2)) - 1:02d}.json"
            assert (landing / d["file"]).read_bytes() == earlier.read_bytes(), d
            continue
        rec = _records(landing, d["file"])[d["record"]]
        code = rec.get("MaHoSo", rec.get("Mã hồ sơ"))
        assert code == d["dossier_code"], d
        received = _ts(rec.get("NgayTiepNhan", rec.get("Ngày tiếp nhận")))
        reason = d.get("reason")
        if d["outcome"] in ("quarantined", "loaded_after_correction"):
            if reason == "received_at_invalid":
                assert received is None, d
            elif reason == "returned_before_received":
                assert _ts(rec["NgayTra"]) < received, d
            elif reason == "unknown_unit":
                assert norm(rec["DonViXuLy"]) not in unit_names, d
            elif reason == "unknown_channel":
                assert rec["KenhThucHien"] not in ("", "1", "2", "3"), d
            elif reason == "missing_dossier_code":
                assert code == "", d
            else:
                pytest.fail(f"unexpected reason {d}")
        if d["outcome"] == "loaded_after_correction":
            fix = _records(landing, d["corrected_record"]["file"])[d["corrected_record"]["record"]]
            assert fix["MaHoSo"] == code and fix["KenhThucHien"] in ("1", "2", "3")
            assert _ts(fix["NgayTiepNhan"]) and norm(fix["DonViXuLy"]) in unit_names
            assert d["corrected_record"]["file"] > d["file"]
        elif d["outcome"] == "loaded_outside_window":
            assert not (WINDOW[0] <= received < WINDOW[1]), d
        elif d["outcome"] == "loaded_test_excluded":
            assert "test" in (code + " " + rec.get("TrichYeuHoSo", "")).lower(), d
        elif d["outcome"] == "loaded_with_warning":
            assert d["reason"] == "id_number_length" and len(rec["SoGiayToChuHoSo"]) == 11, d
        elif d["outcome"] == "merged_latest_wins":
            last = _records(landing, d["final_record"]["file"])[d["final_record"]["record"]]
            assert last["MaHoSo"] == code and last["TrangThaiHoSo"] == str(d["expected_status"]) and last["NgayTra"]
            assert rec["TrangThaiHoSo"] != "10" and d["final_record"]["file"] < d["file"]


def test_every_defect_in_the_files_is_listed(small, small_manifest):
    """The files hold no other defect than the manifest's: quarantined records, test and out-of-window dossiers,
    short ID numbers and duplicated files are exactly those listed."""
    listed = {(d["file"], d["record"]) for d in small_manifest["defects"]
              if d["outcome"] in ("quarantined", "loaded_after_correction")}
    found = small.execute("SELECT file, code FROM obs WHERE quarantine IS NOT NULL").fetchall()
    assert len(found) == len(listed)
    listed_codes = Counter(d["dossier_code"] or None for d in small_manifest["defects"]
                           if d["outcome"] in ("quarantined", "loaded_after_correction"))
    assert Counter(c for _, c in found) == listed_codes
    by_outcome = lambda o: {d["dossier_code"] for d in small_manifest["defects"] if d["outcome"] == o}  # noqa: E731
    tests = {r[0] for r in small.execute("SELECT DISTINCT code FROM final WHERE is_test").fetchall()}
    assert tests == by_outcome("loaded_test_excluded")
    outside = {r[0] for r in small.execute(
        f"SELECT code FROM final WHERE received < TIMESTAMP '{WINDOW[0]}' OR received >= TIMESTAMP '{WINDOW[1]}'").fetchall()}
    assert outside == by_outcome("loaded_outside_window")
    short = {r[0] for r in small.execute(
        "SELECT DISTINCT code FROM obs WHERE source_rank = 2 AND length(owner_id) <> 12").fetchall()}
    assert short == by_outcome("loaded_with_warning")
    dup = {d["file"] for d in small_manifest["defects"] if d["outcome"] == "file_skipped_duplicate"}
    digests = Counter(f["sha256"] for f in small_manifest["files"])
    assert dup and all(digests[f["sha256"]] == 2 for f in small_manifest["files"] if f["path"] in dup)
    assert sum(n - 1 for n in digests.values() if n > 1) == len(dup)


def test_portal_records_have_every_field_as_strings(small_world_dir, small_manifest):
    defect_at = {(d["file"], d["record"]) for d in small_manifest["defects"]}
    copies = {d["file"] for d in small_manifest["defects"] if d["outcome"] == "file_skipped_duplicate"}
    batches = [p for p in sorted((small_world_dir / "portal").glob("hoso-*.json"))
               if p.relative_to(small_world_dir).as_posix() not in copies]
    assert batches
    unit_names = {u["unit_name"] for u in read_csv(small_world_dir / "reference/units.csv")}
    procs = {p["procedure_code"]: p for p in read_csv(small_world_dir / "reference/procedures.csv")}
    units = {u["unit_name"]: u for u in read_csv(small_world_dir / "reference/units.csv")}
    code_re = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-(\d{6})-\d{4,5}$")
    counts = Counter()
    for path in batches[:8]:
        rel = path.relative_to(small_world_dir).as_posix()
        for i, rec in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            assert list(rec) == HOSO_FIELDS
            for k, v in rec.items():
                if isinstance(v, list):
                    assert all(isinstance(x, dict) and all(isinstance(y, str) for y in x.values()) for x in v), k
                    if k in NESTED:
                        assert all(set(x) == NESTED[k] for x in v), k
                else:
                    assert isinstance(v, str), (k, v)
            if (rel, i) in defect_at:
                continue  # a defect record, checked by test_each_listed_defect_is_in_its_file
            for k in ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayTuChoi", "NgayNopHoSo"):
                assert rec[k] == "" or re.fullmatch(r"\d{14}", rec[k]), (k, rec[k])
            assert rec["DonViXuLy"] in unit_names and code_re.match(rec["MaHoSo"])
            counts["ok"] += 1
            unit = units[rec["DonViXuLy"]]
            assert rec["MaHoSo"].startswith(unit["e_identifier"] + "-")
            assert code_re.match(rec["MaHoSo"]).group(1) == rec["NgayTiepNhan"][2:8]
            assert procs[rec["MaTTHC"]]["level"] == unit["level"]
            if rec["KenhThucHien"] == "2":
                assert procs[rec["MaTTHC"]]["muc_do"] in ("3", "4")
            assert 1 <= len(rec["TaiLieuNop"]) <= 3 and len(rec["DanhSachLePhi"]) <= 2 and len(rec["DinhDanhCHS"]) == 1
            assert bool(rec["DanhSachGiayToKetQua"]) == (rec["TrangThaiHoSo"] == "10")
            if len(rec["SoGiayToChuHoSo"]) == 12:
                counts["id12"] += 1
                assert rec["SoGiayToChuHoSo"].isdigit()
                counts["id040"] += rec["SoGiayToChuHoSo"].startswith("040")
            assert rec["SoDienThoai"] == "" or re.fullmatch(r"0[398]\d{8}", rec["SoDienThoai"])
            assert rec["Email"] == "" or re.fullmatch(r"[a-z0-9.]+@[a-z.]+", rec["Email"])
            counts["diacritics"] += any(ord(ch) > 127 for ch in rec["ChuHoSo"])
            counts["address"] += bool(re.search(r"(Xóm|Thôn|Bản|Khối|Tổ dân phố) .+, (Xã|Phường) .+, Tỉnh Nghệ An",
                                                rec["ThongTinKhac"]))
    assert counts["ok"] > 500 and counts["id12"] >= counts["ok"] - 3
    assert counts["id040"] > 0.7 * counts["id12"] and counts["diacritics"] > 0.9 * counts["ok"]
    assert counts["address"] == counts["ok"]
    steps = json.loads(sorted((small_world_dir / "portal").glob("xuly-*.json"))[3].read_text(encoding="utf-8"))
    assert steps and all(list(s) == XULY_FIELDS and all(isinstance(v, str) for v in s.values()) for s in steps)


def test_same_seed_gives_the_same_bytes(small_world_dir, tmp_path):
    again = tmp_path / "again"
    generate_world(again, scale=0.01)
    a = {p.relative_to(small_world_dir).as_posix(): p.read_bytes() for p in small_world_dir.rglob("*") if p.is_file()}
    b = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)
    other = tmp_path / "other"
    generate_world(other, scale=0.01, seed=7)
    assert (other / "manifest.json").read_bytes() != a["manifest.json"]


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        generate_world(tmp_path, scale=0.01)


def test_synthetic_provinces(tmp_path):
    m = generate_world(tmp_path / "w", scale=0.005, provinces=2)
    units = read_csv(tmp_path / "w/reference/units.csv")
    by_province = Counter(u["province_code"] for u in units)
    assert list(by_province)[:3] == ["40", "01", "04"]
    assert by_province["40"] == 150 and by_province["01"] > 100
    assert len({u["unit_name"] for u in units}) == len(units) and len({u["e_identifier"] for u in units}) == len(units)
    home_codes = {u["unit_code"] for u in units if u["province_code"] == "40" and u["level"] == "commune"}
    assert {"17011", "17170"} <= home_codes and not ({"16994", "17152"} & home_codes)
    for pc in ("01", "04"):
        cu = m["clean_universe"][pc]
        assert cu["all"]["received"] == m["clean_universe"]["40"]["all"]["received"]
        assert cu["all"]["online"] != m["clean_universe"]["40"]["all"]["online"]
    con = load_world(tmp_path / "w")
    assert slices(con, "01") == {"all": m["clean_universe"]["01"]["all"],
                                 "province": m["clean_universe"]["01"]["province_level"],
                                 "commune": m["clean_universe"]["01"]["commune_level"]}


def test_embedded_communes_match_the_official_list():
    from samples.communes_nghean import COMMUNES

    official = Path(__file__).resolve().parents[2] / "shared/reference/nghean_communes.csv"
    if not official.exists():
        pytest.skip("shared/reference/nghean_communes.csv is not beside the checkout")
    with official.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["stt_cv1027"]), r["ma_xa"], r["ten_day_du"], r["loai"]) for r in rows] == list(COMMUNES)


# ---------------------------------------------------------------- the national world: 34 provinces with records


def test_national_world_agrees_with_its_snapshot_file(national_world_dir):
    """`provinces=33`: the 34 provinces with their real codes and names, each one's online ratio in the national
    snapshot file recomputed from its records at both dates, and Nghệ An's ranks still those of the report."""
    from vietnam_provinces import Province

    landing = national_world_dir
    units = read_csv(landing / "reference/units.csv")
    names = {u["province_code"]: u["province_name"] for u in units}
    real = {f"{int(p.code):02d}": p.name for p in Province.iter_all()}
    assert set(names) == set(real) and len(names) == 34
    for code, name in names.items():  # the package's name, with "Tỉnh" before a province (not a city)
        assert name == real[code] or name == f"Tỉnh {real[code]}", (code, name)
    rows = read_csv(landing / "tasks/xep-hang-tinh.csv")
    assert {r["Mã tỉnh"]: r["Tên tỉnh"] for r in rows} == names
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    con = load_world(landing)
    try:
        for day, iso, cut in (("22/07/2025", "2025-07-22", datetime(2025, 7, 22, 16)), ("06/08/2025", "2025-08-06", AS_OF)):
            recomputed = {pc: pct(o, n) for pc, n, o in con.execute(
                "SELECT province_code, count(*), count(*) FILTER (WHERE channel = '2') FROM universe "
                "WHERE received < ? GROUP BY ALL", [cut]).fetchall()}
            in_file = {r["Mã tỉnh"]: Decimal(r["Tỷ lệ nộp trực tuyến (%)"]) for r in rows if r["Ngày"] == day}
            assert len(recomputed) == 34 and recomputed == in_file, day
            planned = {pc: Decimal(cu["snapshot_values"]["online_ratio_pct"][iso])
                       for pc, cu in manifest["clean_universe"].items()}
            assert planned == in_file, day
            tasks_planned = {pc: Decimal(cu["snapshot_values"]["commune_task_pct"][iso])
                             for pc, cu in manifest["clean_universe"].items()}
            assert tasks_planned == {r["Mã tỉnh"]: Decimal(r["Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)"])
                                     for r in rows if r["Ngày"] == day}, day
        for pc in ("40", "01", "96"):  # the slices of a few provinces are those of the manifest
            s = slices(con, pc)
            cu = manifest["clean_universe"][pc]
            assert (s["all"], s["province"], s["commune"]) == (cu["all"], cu["province_level"], cu["commune_level"])
    finally:
        con.close()
    p = published(landing)
    r = ranks(landing)
    assert r["06/08/2025"]["online"][0] == p["P2_rank"]
    assert r["22/07/2025"]["online"][0] - r["06/08/2025"]["online"][0] == p["P2_rank_change"]
    assert r["06/08/2025"]["tasks"][0] == p["P6_rank"]
    assert r["22/07/2025"]["tasks"][0] - r["06/08/2025"]["tasks"][0] == p["P6_rank_change"]
    assert all(r[day][k][2] > 0.05 for day in r for k in ("online", "tasks"))
    ratios = {Decimal(x["Tỷ lệ nộp trực tuyến (%)"]) for x in rows if x["Ngày"] == "06/08/2025"}
    assert len(ratios) > 30 and max(ratios) - min(ratios) > 20  # the provinces differ
