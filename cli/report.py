"""The headline table, read from the analysts' snapshot (what `hoso report` and `hoso demo` print)."""

from __future__ import annotations

from pathlib import Path

from warehouse.publish import open_snapshot


def _n(v) -> str:
    return "-" if v is None else f"{int(v):,}"


def _rank_change(v) -> str:
    return "" if v is None else f" ({int(v):+d} since the previous snapshot)"


def headline(analytics_db: Path) -> str:
    if not Path(analytics_db).is_file():
        raise FileNotFoundError(f"no analytics snapshot at {analytics_db}: run `hoso run` (or `hoso demo`) first")
    con = open_snapshot(analytics_db)
    try:
        levels = con.execute(
            "SELECT level_label, received, online, online_ratio_pct, returned, definition_text, formula, "
            "window_start, window_end FROM marts.online_ratio_by_level").fetchall()
        if not levels:
            return "the analytics snapshot holds no dossier yet"
        out = [
            f"Online submission, {levels[0][7]:%d/%m/%Y %H:%M} to {levels[0][8]:%d/%m/%Y %H:%M} "
            f"(definition {levels[0][5]})",
            "",
            f"{'level':<34}{'received':>10}{'online':>10}{'ratio':>9}   formula",
        ]
        for label, received, online, ratio, _ret, _d, formula, _s, _e in levels:
            out.append(f"{label:<34}{_n(received):>10}{_n(online):>10}{str(ratio) + '%':>9}   {formula}")
        out.append(f"{'returned (status 10), province-wide':<34}{_n(levels[0][4]):>10}")
        rank = con.execute(
            "SELECT snapshot_date, online_rank, online_rank_change, task_rank, task_rank_change, provinces "
            "FROM marts.province_ranking WHERE is_home ORDER BY snapshot_date DESC LIMIT 1").fetchone()
        if rank:
            out += ["", f"National ranking on {rank[0]:%d/%m/%Y}: online ratio {rank[1]}/{rank[5]}"
                        f"{_rank_change(rank[2])}; commune tasks {rank[3]}/{rank[5]}{_rank_change(rank[4])}"]
        tasks = con.execute(
            "SELECT snapshot_date, string_agg(format('{:d}/{:d}: {:d}', tasks_done, tasks_total, communes), ', ' "
            "ORDER BY tasks_done DESC) FROM marts.commune_task_progress "
            "WHERE snapshot_date = (SELECT max(snapshot_date) FROM marts.commune_task_progress) GROUP BY 1").fetchone()
        if tasks:
            out.append(f"Commune tasks on {tasks[0]:%d/%m/%Y} (tasks done: communes): {tasks[1]}")
        recon = con.execute(
            "SELECT figure_id, label_vi, published_value, unit, matches, finding FROM marts.published_reconciliation "
            "ORDER BY report_ref, figure_id").fetchall()
        if recon:
            ok = sum(1 for r in recon if r[4])
            out += ["", f"Reconciliation with the published report: {ok} of {len(recon)} figures match the records"]
            for fid, label, value, unit, matches, finding in recon:
                if not matches:
                    shown = f"{value:.2f}%" if unit == "percent" else f"{value:,.0f}"
                    out.append(f"  {fid} \"{label}\" = {shown}: {finding}")
        return "\n".join(out)
    finally:
        con.close()
