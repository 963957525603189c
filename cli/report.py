"""The headline table, read from the analysts' snapshot (what `hoso report` and `hoso demo` print): Vietnamese with
the English beside it, the levels under the marts' own labels (the report's), numbers as Vietnamese readers write
them (224.930; 72,35%), times in Vietnam local time."""

from __future__ import annotations

from pathlib import Path

from reports.html import LEVEL_ORDER, fmt_change, fmt_int, fmt_pct, fmt_value, level_vi
from warehouse.publish import open_snapshot


def _since(v) -> str:
    return "" if v is None else f" ({fmt_change(v)})"


def headline(analytics_db: Path) -> str:
    if not Path(analytics_db).is_file():
        raise FileNotFoundError(f"no analytics snapshot at {analytics_db}: run `hoso run` (or `hoso demo`) first")
    con = open_snapshot(analytics_db)
    try:
        levels = con.execute(
            "SELECT level_key, level_label, received, online, online_ratio_pct, returned, definition_text, "
            "numerator, denominator, window_start, window_end FROM marts.online_ratio_by_level WHERE is_home "
            f"ORDER BY {LEVEL_ORDER}"
        ).fetchall()
        if not levels:
            return "the analytics snapshot holds no dossier yet"
        start, end = levels[0][9], levels[0][10]
        out = [
            f"Tỷ lệ nộp hồ sơ trực tuyến / Online submission, {start:%d/%m/%Y %H:%M} – {end:%d/%m/%Y %H:%M} "
            "(giờ Việt Nam / Vietnam local time)",
            f"Cách tính / definition {levels[0][6]}",
            "",
            f"{'Cấp / level':<34}{'tiếp nhận':>11}{'trực tuyến':>12}{'tỷ lệ':>9}   công thức / formula",
        ]
        for key, label, received, online, ratio, _ret, _d, num, den, _s, _e in levels:
            name = level_vi({"level_key": key, "level_label": label})
            out.append(f"{name:<34}{fmt_int(received):>11}{fmt_int(online):>12}{fmt_pct(ratio):>9}   "
                       f"{fmt_int(num)} / {fmt_int(den)}")
        out.append(f"{'Đã trả kết quả / returned':<34}{fmt_int(levels[0][5]):>11}")
        rank = con.execute(
            "SELECT snapshot_date, online_rank, online_rank_change, task_rank, task_rank_change, provinces "
            "FROM marts.province_ranking WHERE is_home ORDER BY snapshot_date DESC LIMIT 1").fetchone()
        if rank:
            out += ["", f"Xếp hạng toàn quốc ngày {rank[0]:%d/%m/%Y} / national ranking: tỷ lệ trực tuyến / online "
                        f"{rank[1]}/{rank[5]}{_since(rank[2])}; nhiệm vụ cấp xã / commune tasks "
                        f"{rank[3]}/{rank[5]}{_since(rank[4])} (▲ tăng bậc so với kỳ trước / places gained)"]
        tasks = con.execute(
            "SELECT snapshot_date, string_agg(format('{:d}/{:d}: {:d}', tasks_done, tasks_total, communes), ', ' "
            "ORDER BY tasks_done DESC) FROM marts.commune_task_progress "
            "WHERE snapshot_date = (SELECT max(snapshot_date) FROM marts.commune_task_progress) GROUP BY 1").fetchone()
        if tasks:
            out.append(f"Nhiệm vụ cấp xã ngày {tasks[0]:%d/%m/%Y} (số nhiệm vụ hoàn thành: số xã / tasks done: "
                       f"communes): {tasks[1]}")
        recon = con.execute(
            "SELECT figure_id, label_vi, published_value, unit, matches, finding FROM marts.published_reconciliation "
            "ORDER BY report_ref, figure_id").fetchall()
        if recon:
            ok = sum(1 for r in recon if r[4])
            out += ["", f"Đối chiếu với báo cáo đã công bố / reconciliation with the published report: {ok}/"
                        f"{len(recon)} số liệu khớp / figures match the records"]
            for fid, label, value, unit, matches, finding in recon:
                if not matches:
                    out.append(f"  {fid} \"{label}\" = {fmt_value(value, unit)}: {finding}")
        return "\n".join(out)
    finally:
        con.close()
