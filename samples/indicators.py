"""The expected value of every indicator of docs/indicators.md, from the generator's own ground truth.

    indicator_rows(plan, units, cat, h, prop, portal_unit, xlsx_unit) -> list of rows (COLUMNS), sorted

Nothing here reads the written files or the warehouse: each field the spec reads is derived from the plan vectors
and the hasher exactly as `portal.base_frame` / `portal.portal_frame` / `provincial.export_frame` write it, for the
dossier's current state, with the per-unit propensities of samples/propensity.py (the state the warehouse's merge keeps: the last portal observation, i.e. the state at the
end of the as-of day, or the last provincial export, i.e. the state at 16:00 of the as-of day).

Which dossiers: the clean universe (plan.kind == 0) and the injected dossiers the warehouse loads as ordinary
(non-test) dossiers outside the window (Extra.BEFORE_WINDOW, Extra.AFTER_AS_OF): they are received dossiers of the
month, quarter, half-year and year periods, never of the window. The other injected dossiers are quarantined or
test dossiers.

What a provincial export carries (docs/indicators.md "A field a source does not carry is unknown"): received, due,
processed, returned, status and channel; no refusal or supplement time, no documents, fees, results, payment, VNeID
or connected databases. An XLSX export writes the due date as a date only (`dd/MM/yyyy`, read as midnight), so its
dossiers are measured against 00:00 of the due day. Procedures without a legal duration (Catalogue.no_due) give
dossiers no due date (NgayHenTra empty): on time by both definitions. A returned dossier's result carries an
electronic copy (code and link) only when its draw is below its unit's `e_link` propensity; a dossier exempt from its
fees (every Gia = 0) is out of 3.6. Everything is vectorised: no loop runs per dossier.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from samples import clock, people
from samples.clock import AS_OF, DAY, WINDOW_START
from samples.defects import Extra
from samples.dossiers import EV_END, EV_RETURN, EV_SUPP, Plan
from samples.propensity import EXEMPT, Propensities
from samples.reference import HOME, Catalogue, Units

COLUMNS = ["province_code", "grain", "key", "period_type", "period_key", "indicator", "definition", "numerator",
           "denominator", "not_from_portal"]
# (indicator, definition), in the order of the spec's table.
# (indicator, definition) counting dossiers, in the order of the spec's table; 3.2 counts procedures (procedure_counts).
INDICATORS = [("1.4", "P"), ("2.1", "P"), ("2.1", "V"), ("3.3", "A"), ("3.3b", "in_person"), ("3.3b", "postal"),
              ("3.6", "P"), ("4.1", "P"), ("4.2", "P"), ("4.3", "P"), ("4.4", "P"), ("4.5", "P")]
GRAINS = ("province", "province_agencies", "communes", "unit")
PERIODS = ("month", "quarter", "half_year", "year", "window")
LOADED_EXTRAS = (Extra.BEFORE_WINDOW, Extra.AFTER_AS_OF)  # loaded, not test, received outside the window
WINDOW_END = AS_OF  # the report's window end, also the as-of time of "not yet past due"
END_OF_FEED = (clock.LAST_DAY + 1) * DAY - 1  # a portal observation carries the state at the end of its day


def counted(plan: Plan) -> np.ndarray:
    """Indices of the dossiers the warehouse loads as received, non-test dossiers."""
    return np.flatnonzero((plan.kind == 0) | np.isin(plan.kind, [int(k) for k in LOADED_EXTRAS]))


def dossier_flags(plan: Plan, cat: Catalogue, h: people.Hasher, prop: Propensities, ids: np.ndarray,
                  portal_unit: np.ndarray, xlsx_unit: np.ndarray) -> dict[str, np.ndarray]:
    """Per dossier of `ids`: `portal` (current state from the portal feed), and for each (indicator, definition)
    `den:<i>` and `num:<i>` (booleans, num implies den)."""
    unit = plan.unit[ids]
    portal = portal_unit[unit]
    # The current state: the last portal observation (end of the as-of day) or the last export (16:00 that day).
    k = np.where(portal, plan.state_at(ids, END_OF_FEED), plan.state_at(ids, AS_OF))
    if np.any(k < 0):
        raise AssertionError("a counted dossier without a current state")
    status = plan.status_of(ids, k)
    t = plan.t[:, ids].astype(np.int64)
    s5 = plan.s5[ids]
    seen = lambda e: np.where(k >= e, t[e], -1)  # noqa: E731 - as base_frame: visible once the state reached it
    processed = np.where(np.isin(s5, (8, 9)), seen(EV_END), -1)  # NgayKetThucXuLy
    refused = np.where((s5 == 3) & portal, seen(EV_END), -1)  # NgayTuChoi: portal only
    returned = seen(EV_RETURN)  # NgayTra
    supp_asked = np.where(portal, seen(EV_SUPP), -1)  # DanhSachHoSoBoSung: portal only
    due = plan.due[ids].astype(np.int64)
    due = np.where(xlsx_unit[unit] & (due >= 0), due // DAY * DAY, due)  # XLSX: dd/MM/yyyy, read as midnight
    no_due = due < 0  # NgayHenTra empty: a procedure without a legal duration
    big = np.iinfo(np.int64).max
    ends = np.stack([np.where(x >= 0, x, big) for x in (processed, returned, refused, supp_asked)])
    end = ends.min(axis=0)
    ended = end < big
    channel = plan.channel[ids]
    online = channel == 2
    exempt = h.unit(ids, 231) < EXEMPT  # every fee written with Gia = 0
    fee_items = (cat.fees[plan.proc[ids]] > 0) & ~exempt  # at least one fee with Gia > 0 (FEE_AMOUNTS)
    paid = online & fee_items & (h.unit(ids, 230) < prop.paid[unit])  # DuocThanhToanTrucTuyen in {1, 2}
    digitised = h.unit(ids, 207) < prop.digitised[unit]  # HoSoCoThanhPhanSoHoa = 1
    reused = h.unit(ids, 208) < prop.reused[unit]  # DuocTaiSuDung on every document (there is always one)
    from_store = h.unit(ids, 209) < prop.from_store[unit]  # DuocLayTuKhoDMQG on every document
    vneid = online & (h.unit(ids, 220) < prop.vneid[unit])
    citizen_db = (h.unit(ids, 241) < prop.link_db[unit]) & (plan.atype[ids] == 1)  # DSKetNoiCSDL holds CSDLQGDC
    # DanhSachGiayToKetQua: one result once returned, with code and path when it has an electronic copy
    e_result = (status == 10) & (h.unit(ids, 244) < prop.e_link[unit])
    has_file = np.ones(len(ids), dtype=bool)  # 1-3 documents, each with a path, never deleted
    everyone = np.ones(len(ids), dtype=bool)
    spec = {
        ("1.4", "P"): (everyone, portal),  # a portal unit's dossiers are all in the sync feed
        ("2.1", "P"): (status != 7, no_due | np.where(ended, end <= due, due >= WINDOW_END)),
        ("2.1", "V"): (processed >= 0, no_due | (processed <= due)),
        ("3.3", "A"): (everyone, channel == 2),
        ("3.3b", "in_person"): (everyone, channel == 1),
        ("3.3b", "postal"): (everyone, channel == 3),
        ("3.6", "P"): (portal & fee_items, portal & paid),
        ("4.1", "P"): (status == 10, portal & e_result),
        ("4.2", "P"): (status != 3, portal & has_file & e_result),
        ("4.3", "P"): (everyone, portal & (digitised | reused)),
        ("4.4", "P"): (everyone, portal & (from_store | e_result)),
        ("4.5", "P"): (everyone, portal & (vneid | from_store | citizen_db)),
    }
    out = {"portal": portal}
    for (ind, d), (den, num) in spec.items():
        out[f"den:{ind}:{d}"] = den
        out[f"num:{ind}:{d}"] = den & num
    return out


def _period_keys(t0: np.ndarray) -> dict[str, np.ndarray]:
    """Period keys of receipt times (EPOCH seconds, Vietnam local wall time): month, quarter, half-year, year."""
    day = np.datetime64(clock.EPOCH.date()) + (t0 // DAY).astype("timedelta64[D]")
    m = day.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    year, month = 1970 + m // 12, m % 12 + 1
    ys = year.astype(str).astype(object)
    return {"month": ys + "-" + np.char.zfill(month.astype(str), 2).astype(object),
            "quarter": ys + "-Q" + ((month - 1) // 3 + 1).astype(str).astype(object),
            "half_year": ys + "-H" + ((month - 1) // 6 + 1).astype(str).astype(object),
            "year": ys}


def indicator_frame(plan: Plan, units: Units, cat: Catalogue, h: people.Hasher, prop: Propensities,
                    portal_unit: np.ndarray, xlsx_unit: np.ndarray) -> pl.DataFrame:
    """One row per (province, grain, key, period) with at least one received dossier and indicator: COLUMNS."""
    ids = counted(plan)
    flags = dossier_flags(plan, cat, h, prop, ids, portal_unit, xlsx_unit)
    cols = _receipt_keys(plan, ids)
    not_portal = ~flags["portal"]
    value_cols = []
    for ind, d in INDICATORS:
        den, num = flags[f"den:{ind}:{d}"], flags[f"num:{ind}:{d}"]
        for name, v in (("n", num), ("d", den), ("x", den & not_portal)):
            cols[f"{name}|{ind}|{d}"] = v.astype(np.int64)
            value_cols.append(f"{name}|{ind}|{d}")
    # First down to (unit, day, in window): small; then up to every grain and period.
    base = pl.DataFrame(cols).group_by("_unit", "_period_day", "_in_window").agg(pl.col(value_cols).sum())
    wide = _by_grain_and_period(base, units, [pl.col(value_cols).sum()])
    wide = wide.filter(pl.col("d|3.3|A") >= 1)  # a row for every grain key and period with a receipt
    wide = wide.join(procedure_counts(plan, cat, units, ids), on=COLUMNS[:5], how="left").with_columns(
        pl.col("n|3.2|P", "d|3.2|P").fill_null(0).cast(pl.Int64))
    long = []
    for ind, d in [*INDICATORS, ("3.2", "P")]:
        long.append(wide.select(
            "province_code", "grain", "key", "period_type", "period_key", pl.lit(ind).alias("indicator"),
            pl.lit(d).alias("definition"), pl.col(f"n|{ind}|{d}").alias("numerator"),
            pl.col(f"d|{ind}|{d}").alias("denominator"),
            (pl.col(f"x|{ind}|{d}") if ind != "3.2" else pl.lit(None, dtype=pl.Int64)).alias("not_from_portal")))
    return pl.concat(long).sort(COLUMNS[:7])


def procedure_counts(plan: Plan, cat: Catalogue, units: Units, ids: np.ndarray) -> pl.DataFrame:
    """3.2 per grain key and period: the online services (procedures of MucDo 3, 4) with a received dossier
    (d|3.2|P) and those of them with an online one (n|3.2|P). Counts procedures, not dossiers."""
    proc = plan.proc[ids].astype(np.int64)
    service = np.isin(cat.muc_do[proc], (3, 4))
    base = (pl.DataFrame({**_receipt_keys(plan, ids), "_proc": proc, "_online": plan.channel[ids] == 2})
            .filter(pl.Series(service))
            .group_by("_unit", "_period_day", "_in_window", "_proc").agg(pl.col("_online").any()))
    return _by_grain_and_period(base, units, [pl.col("_proc").n_unique().alias("d|3.2|P"),
                                               pl.col("_proc").filter(pl.col("_online")).n_unique().alias("n|3.2|P")])


def _receipt_keys(plan: Plan, ids: np.ndarray) -> dict[str, np.ndarray]:
    """What _by_grain_and_period groups on: the unit, the day of receipt and whether it is inside the window."""
    t0 = plan.t[0, ids].astype(np.int64)
    return {"_unit": plan.unit[ids].astype(np.int64), "_period_day": t0 // DAY,
            "_in_window": (t0 >= WINDOW_START) & (t0 < WINDOW_END)}


def _by_grain_and_period(base: pl.DataFrame, units: Units, aggs: list[pl.Expr]) -> pl.DataFrame:
    """Rows of `base` keyed by (_unit, _period_day, _in_window), aggregated to every grain key and period."""
    u = base["_unit"].to_numpy()
    pk = _period_keys(base["_period_day"].to_numpy() * DAY)
    prov = np.asarray(units.province_code, dtype=object)[u]
    level_key = {"province": prov, "province_agencies": prov, "communes": prov,
                 "unit": np.asarray(units.code, dtype=object)[u]}
    grain_mask = {"province": np.ones(len(u), dtype=bool), "province_agencies": units.agency_nn[u] > 0,
                  "communes": units.agency_nn[u] == 0, "unit": prov == HOME}
    in_window = base["_in_window"].to_numpy()
    values = base.drop("_unit", "_period_day", "_in_window")
    parts = []
    for grain in GRAINS:
        for period in PERIODS:
            m = grain_mask[grain] & (in_window if period == "window" else True)
            if not m.any():
                continue
            keys = pl.DataFrame({
                "province_code": pl.Series(prov[m], dtype=pl.String), "grain": grain,
                "key": pl.Series(level_key[grain][m], dtype=pl.String), "period_type": period,
                "period_key": pl.Series(np.full(m.sum(), "window", dtype=object) if period == "window"
                                        else pk[period][m], dtype=pl.String)})
            parts.append(pl.concat([keys, values.filter(pl.Series(m))], how="horizontal")
                         .group_by(COLUMNS[:5]).agg(aggs))
    return pl.concat(parts)


def indicator_rows(plan: Plan, units: Units, cat: Catalogue, h: people.Hasher, prop: Propensities,
                   portal_unit: np.ndarray, xlsx_unit: np.ndarray) -> list[list]:
    """The manifest's `indicators`: one list per row, in the order of COLUMNS, sorted."""
    return [list(r) for r in indicator_frame(plan, units, cat, h, prop, portal_unit, xlsx_unit).iter_rows()]
