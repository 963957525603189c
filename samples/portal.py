"""The national-portal sync feed: portal/hoso-YYYYMMDD-NN.json (dossier records) and portal/xuly-YYYYMMDD-NN.json
(the processing steps of the same batch), in the shape of DATA_WORLD §3.1 and docs/data-contracts.md §2.1.

A batch holds, for one day, the records of the dossiers received that day and of those whose status changed that
day, each re-sent whole with its state at the end of the day. Records are built a chunk at a time from the plan
vectors (polars expressions, no loop per record) and written straight away with polars' row-oriented JSON writer,
so memory does not grow with the size of the world. `base_frame` is shared with the provincial exports.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from samples import clock, people
from samples.propensity import EXEMPT, Propensities
from samples.clock import DAY, fmt
from samples.defects import Override
from samples.dossiers import EV_END, EV_RETURN, EVENT_STATUS, N_EVENTS, Observations, Plan
from samples.reference import Catalogue, Units
from sources.portal_json import HISTORY_FIELDS, PORTAL_FIELDS

CHUNK = 20_000  # records per batch file: bounds the memory of a chunk and the size of a file

HOSO_FIELDS = PORTAL_FIELDS  # the portal's fields, as the parser declares them
XULY_FIELDS = HISTORY_FIELDS

DOC_FIRST = ["Đơn đề nghị.pdf", "Tờ khai.pdf"]
DOC_SECOND = ["Bản sao căn cước công dân.pdf", "Giấy ủy quyền.pdf", "Bản sao giấy tờ liên quan.pdf",
              "Giấy tờ chứng minh nhân thân.pdf"]
DOC_THIRD = ["Bản vẽ thiết kế.pdf", "Hợp đồng.pdf", "Giấy khám sức khỏe.pdf", "Ảnh chân dung 4x6.pdf", "Biên lai nộp phí.pdf"]
FEE_AMOUNTS = np.array([10_000, 20_000, 30_000, 50_000, 100_000, 150_000, 200_000, 500_000])
# Processing-step wording per event (event 5 by end status), and who does it (role of the official).
STEP_TEXT = {0: "Tiếp nhận hồ sơ", 1: "Chuyển hồ sơ đến bộ phận xử lý", 2: "Yêu cầu bổ sung hồ sơ",
             3: "Tiếp nhận hồ sơ bổ sung", 4: "Thông báo thực hiện nghĩa vụ tài chính", 6: "Trả kết quả giải quyết"}
END_TEXT = {9: "Phê duyệt kết quả giải quyết", 3: "Từ chối giải quyết hồ sơ", 7: "Ghi nhận công dân rút hồ sơ",
            8: "Dừng xử lý hồ sơ"}
_STEP_TEXTS = np.array([STEP_TEXT.get(e, "") for e in range(7)], dtype=object)
_END_TEXTS = np.array([END_TEXT.get(s, "") for s in range(11)], dtype=object)
TITLES = {  # (level, role) -> (ChucDanh, PhongBanXuLy); roles 0-1 one-stop desk, 2-3 specialists, 4 leadership
    ("commune", 0): ("Công chức Văn phòng - Thống kê", "Bộ phận Một cửa"),
    ("commune", 1): ("Công chức Tư pháp - Hộ tịch", "Bộ phận Một cửa"),
    ("commune", 2): ("Chuyên viên Phòng Kinh tế", "Phòng Kinh tế"),
    ("commune", 3): ("Chuyên viên Phòng Văn hóa - Xã hội", "Phòng Văn hóa - Xã hội"),
    ("commune", 4): ("Phó Chủ tịch UBND", "Lãnh đạo UBND"),
    ("province", 0): ("Chuyên viên Trung tâm Phục vụ hành chính công", "Trung tâm Phục vụ hành chính công tỉnh"),
    ("province", 1): ("Chuyên viên Trung tâm Phục vụ hành chính công", "Trung tâm Phục vụ hành chính công tỉnh"),
    ("province", 2): ("Chuyên viên", "Phòng chuyên môn"),
    ("province", 3): ("Chuyên viên chính", "Phòng chuyên môn"),
    ("province", 4): ("Phó Giám đốc", "Ban Giám đốc"),
}


@dataclass
class Context:
    """Everything a record needs besides its dossier's plan row: lookup columns by unit and by procedure."""

    plan: Plan
    units: Units
    cat: Catalogue
    h: people.Hasher
    unit_name: pl.Series
    unit_eid: pl.Series
    unit_is_commune: np.ndarray
    unit_province_name: pl.Series
    unit_place: pl.Series
    unit_place_kind: np.ndarray
    unit_prov_int: np.ndarray
    prov_commune_start: np.ndarray
    prov_commune_count: np.ndarray
    proc_code: pl.Series
    proc_name: pl.Series
    field_code: pl.Series
    field_name: pl.Series
    proc_result: pl.Series
    proc_fee: np.ndarray
    prop: Propensities

    @classmethod
    def build(cls, plan: Plan, units: Units, cat: Catalogue, seed: int, prop: Propensities) -> "Context":
        n_prov = int(units.province_idx.max()) + 1
        is_commune = units.agency_nn == 0
        start = np.array([np.flatnonzero(is_commune & (units.province_idx == p))[0] for p in range(n_prov)])
        count = np.array([np.count_nonzero(is_commune & (units.province_idx == p)) for p in range(n_prov)])
        kind = np.where(np.asarray(units.kind) == "phường", 1, np.where(units.highland, 2, 0))
        s = lambda xs: pl.Series(xs, dtype=pl.String)  # noqa: E731
        fee_rng = np.random.default_rng(seed + 7)
        return cls(
            plan=plan, units=units, cat=cat, h=people.Hasher(seed), unit_name=s(units.name), unit_eid=s(units.e_id),
            unit_is_commune=is_commune, unit_province_name=s(units.province_name), unit_place=s(units.place),
            unit_place_kind=kind, unit_prov_int=np.asarray([int(c) for c in units.province_code]),
            prov_commune_start=start, prov_commune_count=count, proc_code=s(cat.code), proc_name=s(cat.name),
            field_code=s(cat.field_code), field_name=s(cat.field_name), proc_result=s(cat.result),
            proc_fee=FEE_AMOUNTS[fee_rng.integers(0, len(FEE_AMOUNTS), len(cat))], prop=prop,
        )


def code_of(ctx: Context, i: int) -> str:
    """The dossier code of one dossier: {e-identifier}-{yyMMdd}-{NNNN} (five digits past 9999)."""
    p = ctx.plan
    day = clock.day_date(int(p.t[0, i]) // DAY)
    return f"{ctx.units.e_id[int(p.unit[i])]}-{day:%y%m%d}-{int(p.counter[i]):04d}"


def base_frame(ctx: Context, ids: np.ndarray, k: np.ndarray) -> pl.DataFrame:
    """The state of dossiers `ids` after their event `k`: dates, status and applicant, as plain columns."""
    p, h = ctx.plan, ctx.h
    unit = p.unit[ids].astype(np.int64)
    proc = p.proc[ids].astype(np.int64)
    t = p.t[:, ids]
    status = p.status_of(ids, k)
    seen = lambda e: np.where(k >= e, t[e], -1)  # noqa: E731 - an event is visible once the state reached it
    s5 = p.s5[ids]
    t_end = seen(EV_END)
    prov = ctx.units.province_idx[unit]
    is_commune = ctx.unit_is_commune[unit]
    place_unit = np.where(is_commune, unit,
                          ctx.prov_commune_start[prov] + h.below(ids, 50, ctx.prov_commune_count[prov]))
    online = p.channel[ids] == 2
    app = people.applicants(
        h, ids, atype=p.atype[ids], online=online, province_code=ctx.unit_prov_int[unit],
        highland=ctx.units.highland[place_unit], place=ctx.unit_place.gather(place_unit),
        place_kind=ctx.unit_place_kind[place_unit], province_name=ctx.unit_province_name.gather(unit),
        tax_prefix=np.where(ctx.unit_prov_int[unit] == 40, 29, ctx.unit_prov_int[unit]))
    short = p.id_short[ids]
    if short.any():  # id_number_length defect: one digit dropped, in every place the number appears
        app = app.with_columns(
            owner_id=pl.when(pl.Series(short)).then(pl.col("owner_id").str.slice(0, 11)).otherwise(pl.col("owner_id")),
            id_value=pl.when(pl.Series(short) & (pl.col("id_type") == "1")).then(pl.col("id_value").str.slice(0, 11))
            .otherwise(pl.col("id_value")),
            subject_code=pl.when(pl.Series(short) & (pl.col("id_type") == "1"))
            .then(pl.col("subject_code").str.slice(0, 11)).otherwise(pl.col("subject_code")))
    num = pl.DataFrame({
        "_id": ids.astype(np.int64), "_unit": unit, "_proc": proc, "status": status, "channel": p.channel[ids],
        "atype": p.atype[ids], "t0": t[0], "due": p.due[ids], "submitted": p.submitted[ids],
        "processed": np.where(np.isin(s5, (8, 9)), t_end, -1), "refused": np.where(s5 == 3, t_end, -1),
        "returned": seen(EV_RETURN), "supp_asked": seen(2), "supp_back": seen(3), "counter": p.counter[ids],
        "is_commune": is_commune,
    })
    return pl.concat([num, app], how="horizontal").with_columns(
        code=ctx.unit_eid.gather(unit) + "-" + fmt("t0", "%y%m%d") + "-" + pl.col("counter").cast(pl.String).str.zfill(4),
        proc_code=ctx.proc_code.gather(proc), proc_name=ctx.proc_name.gather(proc),
        field_code=ctx.field_code.gather(proc), field_name=ctx.field_name.gather(proc),
        unit_name=ctx.unit_name.gather(unit), result_name=ctx.proc_result.gather(proc),
        fee_items=pl.Series(ctx.cat.fees[proc].astype(np.int32)), fee=pl.Series(ctx.proc_fee[proc]),
    )


def _flag(u: np.ndarray, p: np.ndarray) -> pl.Series:
    return pl.Series(np.where(u < p, "1", "0"), dtype=pl.String)


def portal_frame(ctx: Context, ids: np.ndarray, k: np.ndarray) -> pl.DataFrame:
    """The portal records (all fields of DATA_WORLD §3.1, every scalar a string) plus the hidden `_id`."""
    h = ctx.h
    b = base_frame(ctx, ids, k)
    n_docs = 1 + h.below(ids, 200, 3)
    online = ctx.plan.channel[ids] == 2
    u_form = h.unit(ids, 210)
    result_form = np.where(ctx.plan.channel[ids] == 3, "2", np.where(
        online, np.where(u_form < 0.5, "3", np.where(u_form < 0.9, "1", "2")), np.where(u_form < 0.9, "1", "2")))
    unit, pr = ctx.plan.unit[ids], ctx.prop
    e_link = h.unit(ids, 244) < pr.e_link[unit]  # the result (once returned) has an electronic copy
    result_form = np.where(~e_link & (result_form == "3"), "1", result_form)  # no electronic copy to send
    # Each flag: the dossier's own draw below its unit's propensity (samples/propensity.py).
    fee_u = h.unit(ids, 230)
    exempt = h.unit(ids, 231) < EXEMPT  # every fee written with Gia = 0, nothing to pay
    p_paid = pr.paid[unit]
    paid = online & (ctx.cat.fees[ctx.plan.proc[ids]] > 0) & ~exempt & (fee_u < p_paid)
    b = b.with_columns(
        doc_id0=pl.Series(h(ids, 201)).cast(pl.String), doc_id1=pl.Series(h(ids, 202)).cast(pl.String),
        doc_id2=pl.Series(h(ids, 203)).cast(pl.String), n_docs=pl.Series(n_docs),
        doc_name0=people.pick(DOC_FIRST, h(ids, 204)), doc_name1=people.pick(DOC_SECOND, h(ids, 205)),
        doc_name2=people.pick(DOC_THIRD, h(ids, 206)), digitised=_flag(h.unit(ids, 207), pr.digitised[unit]),
        reused=_flag(h.unit(ids, 208), pr.reused[unit]), from_store=_flag(h.unit(ids, 209), pr.from_store[unit]),
        result_form=pl.Series(result_form, dtype=pl.String),
        paid=pl.Series(np.where(paid, np.where(fee_u < p_paid * (0.55 / 0.7), "1", "2"), "0"), dtype=pl.String),
        vneid=pl.Series(np.where(online & (h.unit(ids, 220) < pr.vneid[unit]), "1", "0"), dtype=pl.String),
        other_file=pl.Series(h.unit(ids, 240) < 0.08), link_db=pl.Series(h.unit(ids, 241) < pr.link_db[unit]),
        exempt=pl.Series(exempt), e_link=pl.Series(e_link),
        other_id=pl.Series(h(ids, 242)).cast(pl.String), result_id=pl.Series(h(ids, 243)).cast(pl.String),
        online=pl.Series(online),
    )
    c = pl.col
    path_day = fmt("t0", "%Y/%m/%d")

    def doc(j: int) -> pl.Expr:
        return pl.struct(
            TepDinhKemId=c(f"doc_id{j}"), TenTepDinhKem=c(f"doc_name{j}"), IsDeleted=pl.lit("0"),
            MaThanhPhanHoSo=c("proc_code") + f".TP{j + 1}",
            DuongDanTaiTepTin=pl.lit("/upload/hoso/") + path_day + "/" + c(f"doc_id{j}") + ".pdf",
            DuocSoHoa=c("digitised") if j == 0 else pl.lit("0"), DuocTaiSuDung=c("reused"),
            DuocLayTuKhoDMQG=c("from_store"), MaKetQuaThayThe=pl.lit(""))

    fee_form = pl.when(c("paid") != "0").then(pl.lit("2")).otherwise(pl.lit("1"))
    b = b.with_columns(
        TaiLieuNop=list_of(b, [doc(0), doc(1), doc(2)], c("n_docs")),
        DanhSachLePhi=list_of(b, [
            pl.struct(TenPhiLePhi=pl.lit("Lệ phí ") + c("proc_name").str.slice(0, 60), MaPhiLePhi="LP." + c("proc_code"),
                      HinhThucThu=fee_form, Gia=pl.when(c("exempt")).then(pl.lit("0")).otherwise(c("fee").cast(pl.String)),
                      LoaiPhiLePhi=pl.lit("2")),
            pl.struct(TenPhiLePhi=pl.lit("Phí thẩm định hồ sơ"), MaPhiLePhi="PTD." + c("proc_code"), HinhThucThu=fee_form,
                      Gia=pl.when(c("exempt")).then(pl.lit("0")).otherwise((c("fee") * 2).cast(pl.String)),
                      LoaiPhiLePhi=pl.lit("1")),
        ], c("fee_items")),
    )
    returned = c("status") == 10
    result_text = (pl.when(c("result_form") == "3").then(pl.lit("Trả kết quả điện tử qua tài khoản dịch vụ công"))
                   .when(c("result_form") == "2").then(pl.lit("Trả kết quả qua dịch vụ bưu chính công ích"))
                   .otherwise(pl.lit("Trả kết quả trực tiếp tại Bộ phận Một cửa")))
    place = (pl.when(c("online")).then(pl.when(c("doc_name0") == DOC_FIRST[0]).then(pl.lit("Cổng Dịch vụ công quốc gia"))
                                       .otherwise(pl.lit("Hệ thống thông tin giải quyết TTHC tỉnh")))
             .when(c("channel") == 3).then(pl.lit("Bưu chính công ích"))
             .when(c("is_commune")).then("Bộ phận Một cửa " + c("unit_name"))
             .otherwise(pl.lit("Trung tâm Phục vụ hành chính công tỉnh")))
    note = (pl.when(c("status") == 5).then(pl.lit("Đề nghị bổ sung thành phần hồ sơ theo quy định"))
            .when(c("status") == 3).then(pl.lit("Hồ sơ không đủ điều kiện giải quyết"))
            .when(c("status") == 7).then(pl.lit("Công dân có đơn xin rút hồ sơ"))
            .when(c("status") == 8).then(pl.lit("Dừng xử lý theo đề nghị của cơ quan chuyên môn"))
            .otherwise(pl.lit("")))
    link_name = pl.when(c("atype") == 1).then(pl.lit("Cơ sở dữ liệu quốc gia về dân cư")) \
        .otherwise(pl.lit("Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp"))
    link_code = pl.when(c("atype") == 1).then(pl.lit("CSDLQGDC")).otherwise(pl.lit("CSDLQGDKDN"))
    return b.select(
        c("_id"),
        MaHoSo=c("code"), MaTTHC=c("proc_code"), TenTTHC=c("proc_name"), MaLinhVuc=c("field_code"),
        TenLinhVuc=c("field_name"), KenhThucHien=c("channel").cast(pl.String), SoGiayToChuHoSo=c("owner_id"),
        ChuHoSo=c("owner_name"), LoaiDoiTuong=c("atype").cast(pl.String), MaDoiTuong=c("subject_code"),
        ThongTinKhac="Địa chỉ: " + c("address"), Email=c("email"), Fax=pl.lit(""), SoDienThoai=c("phone"),
        TrichYeuHoSo=c("proc_name") + " - " + c("owner_name"), NgayTiepNhan=fmt("t0"), NgayHenTra=fmt("due"),
        TrangThaiHoSo=c("status").cast(pl.String), NgayTra=fmt("returned"),
        ThongTinTra=pl.when(returned).then(result_text).otherwise(pl.lit("")), HinhThuc=c("result_form"),
        NgayKetThucXuLy=fmt("processed"), DonViXuLy=c("unit_name"), GhiChu=note,
        TaiLieuNop=c("TaiLieuNop"), DanhSachLePhi=c("DanhSachLePhi"),
        DanhSachTepDinhKemKhac=pl.concat_list([pl.struct(
            TepDinhKemId=c("other_id"), TenTepDinhKem=pl.lit("Văn bản giải trình.pdf"),
            DuongDanTaiTepTin=pl.lit("/upload/khac/") + path_day + "/" + c("other_id") + ".pdf",
        )]).list.head(c("other_file").cast(pl.Int32)),
        DanhSachHoSoBoSung=pl.concat_list([pl.struct(
            NgayYeuCauBoSung=fmt("supp_asked"), NoiDungYeuCau=pl.lit("Bổ sung bản sao giấy tờ còn thiếu"),
            NgayNopBoSung=fmt("supp_back"),
        )]).list.head((c("supp_asked") >= 0).cast(pl.Int32)),
        DanhSachGiayToKetQua=pl.concat_list([pl.struct(
            TenGiayTo=c("result_name"), MaThanhPhanHoSo=c("proc_code") + ".KQ", GiayToId=c("result_id"),
            # a paper-only result: listed, but with no electronic code nor file
            DuongDanTepTinKetQua=pl.when(c("e_link")).then(
                pl.lit("/upload/ketqua/") + fmt("returned", "%Y/%m/%d") + "/" + c("result_id") + ".pdf").otherwise(pl.lit("")),
            MaGiayToKetQua=pl.when(c("e_link")).then("KQ." + c("code")).otherwise(pl.lit("")),
        )]).list.head(returned.cast(pl.Int32)),
        NoiNopHoSo=place, HoSoCoThanhPhanSoHoa=c("digitised"), TaiKhoanDuocXacThucVoiVNeID=c("vneid"),
        DuocThanhToanTrucTuyen=c("paid"), NgayTuChoi=fmt("refused"),
        DinhDanhCHS=pl.concat_list([pl.struct(LoaiDinhDanh=c("id_type"), SoDinhDanh=c("id_value"))]),
        NgayNopHoSo=fmt("submitted"),
        DSKetNoiCSDL=pl.concat_list([pl.struct(MaCSDL=link_code, TenCSDL=link_name)]).list.head(c("link_db").cast(pl.Int32)),
    )


def list_of(frame: pl.DataFrame, structs: list[pl.Expr], n: pl.Expr) -> pl.Series:
    """Per row, a list of the first n of the given struct values. (pl.concat_list over several struct columns is
    slow in polars 2.1; stacking them long and grouping back is ~10x faster.)"""
    row = pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row")
    long = pl.concat([frame.select(row, s.alias("_item"), pl.lit(j, dtype=pl.Int32).alias("_pos"), n.alias("_n"))
                      for j, s in enumerate(structs)])
    grouped = (long.filter(pl.col("_pos") < pl.col("_n")).sort("_row", "_pos")
               .group_by("_row", maintain_order=True).agg("_item"))
    rows = pl.DataFrame({"_row": np.arange(len(frame), dtype=np.uint32)})
    lists = rows.join(grouped, on="_row", how="left", maintain_order="left")["_item"]
    empty = frame.select(pl.concat_list([structs[0]]).list.head(0)).to_series()  # [] rather than null
    return lists.zip_with(lists.is_not_null(), empty)


def apply_overrides(df: pl.DataFrame, overrides: list[Override], batch_day: int | None, id_col: str = "_id") -> pl.DataFrame:
    """Write the defects' values over the generated ones (only the few rows concerned)."""
    if not overrides:
        return df
    wanted = np.array([o.dossier for o in overrides], dtype=np.int64)
    present = np.isin(wanted, df[id_col].to_numpy())
    for o, here in zip(overrides, present):
        if here and (o.batch_day is None or o.batch_day == batch_day):
            df = df.with_columns(pl.when(pl.col(id_col) == o.dossier).then(pl.lit(o.value)).otherwise(pl.col(o.field))
                                 .alias(o.field))
    return df


def history_frame(ctx: Context, records: pl.DataFrame, ids: np.ndarray, k: np.ndarray, state_day: np.ndarray) -> pl.DataFrame:
    """The processing steps of a batch: every event of each record's day, up to the state it carries."""
    p, h = ctx.plan, ctx.h
    t = p.t[:, ids]
    rows, events, prev = [], [], []
    last = np.asarray(p.submitted[ids], dtype=np.int64)
    for e in range(N_EVENTS):
        te = t[e].astype(np.int64)
        on = (te >= 0) & (te // DAY == state_day) & (e <= k)
        rows.append(np.flatnonzero(on))
        events.append(np.full(int(on.sum()), e, dtype=np.int8))
        prev.append(last[on])
        last = np.where(te >= 0, te, last)
    row = np.concatenate(rows)
    ev = np.concatenate(events)
    start = np.concatenate(prev)
    order = np.lexsort((ev, row))
    row, ev, start = row[order], ev[order], start[order]
    d_ids = ids[row]
    s5 = p.s5[d_ids]
    unit = p.unit[d_ids].astype(np.int64)
    u = h.unit(d_ids.astype(np.int64) * 8 + ev, 300)
    role = np.select([ev <= 1, ev <= 4, (ev == EV_END) & (s5 != 7), ev == EV_END],
                     [(u < 0.5).astype(int), 2 + (u < 0.5), 4, 0], (u < 0.5).astype(int))
    level = np.where(ctx.unit_is_commune[unit], "commune", "province")
    titles = np.array([TITLES[(lv, r)][0] for lv in ("commune", "province") for r in range(5)], dtype=object)
    depts = np.array([TITLES[(lv, r)][1] for lv in ("commune", "province") for r in range(5)], dtype=object)
    ti = np.where(level == "commune", 0, 5) + role
    texts = np.where(ev == EV_END, _END_TEXTS[s5], _STEP_TEXTS[ev])
    status = np.where(ev == EV_END, s5, EVENT_STATUS[ev])
    officials = people.official_names(h, unit * 8 + role)
    when = t[ev, row]
    df = pl.DataFrame({
        "MaHoSo": records["MaHoSo"].gather(row), "NguoiXuLy": officials,
        "ChucDanh": pl.Series(titles[ti], dtype=pl.String), "ThoiDiemXuLy": pl.Series(when),
        "PhongBanXuLy": pl.Series(depts[ti], dtype=pl.String), "NoiDungXuLy": pl.Series(texts, dtype=pl.String),
        "TrangThai": pl.Series(status).cast(pl.String), "NgayBatDau": pl.Series(start),
        "NgayKetThucTheoQuyDinh": pl.Series(p.due[d_ids]),
    })
    return df.with_columns(ThoiDiemXuLy=fmt("ThoiDiemXuLy"), NgayBatDau=fmt("NgayBatDau"),
                           NgayKetThucTheoQuyDinh=fmt("NgayKetThucTheoQuyDinh")).filter(pl.col("MaHoSo") != "")


def sha256_of(path: Path) -> str:
    d = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            d.update(block)
    return d.hexdigest()


def write_portal(out: Path, ctx: Context, obs: Observations, overrides: list[Override], watches: set[tuple[int, int]],
                 duplicate_days: list[int], progress: Callable[[str], None],
                 day_written: Callable[[list[Path]], None] | None = None) -> tuple[list[dict], dict, list]:
    """All batches, day by day; `day_written` gets each day's files once they are complete. Returns the file
    entries, the place (file, record) of each watched (dossier, batch day), and the (original, copy) pairs of the
    batches sent twice."""
    (out / "portal").mkdir(parents=True, exist_ok=True)
    files, located, duplicates = [], {}, []
    portal_overrides = [o for o in overrides if o.target == "portal"]
    watch_ids = np.array(sorted({d for d, _ in watches}), dtype=np.int64)
    bounds = np.flatnonzero(np.r_[True, obs.batch_day[1:] != obs.batch_day[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        day = int(obs.batch_day[a])
        stamp = f"{clock.day_date(day):%Y%m%d}"
        first = len(files)
        n_chunks = -(-(b - a) // CHUNK)
        edges = np.linspace(a, b, n_chunks + 1).round().astype(np.int64)
        for nn, (s, e) in enumerate(zip(edges[:-1], edges[1:]), 1):
            ids, k, sday = obs.ids[s:e], obs.k[s:e], obs.state_day[s:e]
            rec = apply_overrides(portal_frame(ctx, ids, k), portal_overrides, day)
            hoso, xuly = out / f"portal/hoso-{stamp}-{nn:02d}.json", out / f"portal/xuly-{stamp}-{nn:02d}.json"
            hist = history_frame(ctx, rec, ids, k, sday)
            assert tuple(rec.columns[1:]) == HOSO_FIELDS and tuple(hist.columns) == XULY_FIELDS
            rec.drop("_id").write_json(hoso)
            hist.write_json(xuly)
            for path, fmt_, n in ((hoso, "portal_json", len(rec)), (xuly, "portal_history_json", len(hist))):
                files.append({"path": path.relative_to(out).as_posix(), "format": fmt_, "sha256": sha256_of(path),
                              "records": n})
            for pos in np.flatnonzero(np.isin(ids, watch_ids)):
                if (int(ids[pos]), day) in watches:
                    located[(int(ids[pos]), "portal", day)] = (hoso.relative_to(out).as_posix(), int(pos))
        if day in duplicate_days:  # the last batch of the day sent again under the next number
            for kind in ("hoso", "xuly"):
                src = out / f"portal/{kind}-{stamp}-{n_chunks:02d}.json"
                dst = out / f"portal/{kind}-{stamp}-{n_chunks + 1:02d}.json"
                shutil.copyfile(src, dst)
                entry = next(f for f in files if f["path"] == src.relative_to(out).as_posix())
                files.append({**entry, "path": dst.relative_to(out).as_posix()})
                duplicates.append((entry["path"], dst.relative_to(out).as_posix()))
        if day_written is not None:
            day_written([out / f["path"] for f in files[first:]])
        progress(f"portal {clock.day_date(day)}: {b - a:,} records in {n_chunks} batch(es)")
    return files, located, duplicates
