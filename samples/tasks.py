"""Task monitoring and the national snapshot (docs/data-contracts.md §2.3).

- tasks/nq57-xa-YYYYMMDD.csv: the 16 commune tasks of Resolution 57 for the 130 communes at 22/07 and 06/08; the
  06/08 snapshot gives exactly P5, the 22/07 one fewer tasks done, and no commune loses a done task in between.
- tasks/nhiem-vu-tinh-20250806.csv: 23 province-level tasks, 14 done and 9 in progress within their deadline (P7).
- tasks/xep-hang-tinh.csv: 34 provinces at both dates. Nghệ An's values come from the generated records (online
  ratio) and the nq57 snapshots (share of tasks done); the other 33 are drawn around them so that Nghệ An ranks as
  P2 (25 -> 20) and P6 (22 -> 20), with no other province within 0.05 of it. An other province that has records in
  the world (`generate_world(provinces=N)`) gets an online ratio its records can give exactly: its values are drawn
  first (`online_snapshot`), as online counts of its received dossiers before each cut, and its plan is then built
  to those counts (dossiers.finish_province); the file writes the ratio of the counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable

import numpy as np

from samples import clock
from samples.reference import HOME, write_csv

TASKS_PER_COMMUNE = 16
# P5 (the report, 06/08/2025): number of communes by tasks done.
DONE_DISTRIBUTION = {16: 69, 15: 10, 14: 25, 13: 21, 12: 5}
# P2 and P6: Nghệ An's rank among 34 provinces at the two dates.
RANKS = {"online": (25, 20), "commune_tasks": (22, 20)}
P7 = {"total": 23, "done": 14, "in_progress": 9}

NQ57_TASKS = (
    "Kiện toàn Ban Chỉ đạo về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số cấp xã",
    "Ban hành kế hoạch thực hiện Nghị quyết số 57-NQ/TW năm 2025",
    "Phân công công chức phụ trách chuyển đổi số",
    "Thành lập, duy trì Tổ công nghệ số cộng đồng",
    "Bảo đảm trang thiết bị cho Bộ phận Một cửa",
    "Kết nối mạng truyền số liệu chuyên dùng",
    "Sử dụng hệ thống quản lý văn bản và điều hành",
    "Ký số văn bản đi của cơ quan",
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "Tiếp nhận, giải quyết hồ sơ trên Hệ thống thông tin giải quyết TTHC tỉnh",
    "Đồng bộ trạng thái hồ sơ lên Cổng Dịch vụ công quốc gia",
    "Làm sạch dữ liệu hộ tịch, dân cư",
    "Tuyên truyền, hướng dẫn người dân sử dụng dịch vụ công trực tuyến",
    "Triển khai thanh toán trực tuyến phí, lệ phí",
    "Bảo đảm an toàn thông tin hệ thống",
    "Báo cáo định kỳ tiến độ thực hiện",
)
# How hard each task is (more likely to be among those not done): equipment, digitisation, payments.
TASK_DIFFICULTY = np.array([0.3, 0.3, 0.5, 0.8, 1.6, 1.8, 0.6, 0.9, 2.5, 1.2, 1.6, 2.0, 0.7, 3.0, 1.8, 0.4])

PROVINCE_TASKS = (  # (task, lead unit, deadline, done)
    ("Ban hành kế hoạch thực hiện Nghị quyết số 57-NQ/TW giai đoạn 2025-2030", "Sở Khoa học và Công nghệ", "15/07/2025", True),
    ("Kiện toàn Ban Chỉ đạo tỉnh về khoa học, công nghệ và chuyển đổi số", "Sở Nội vụ", "10/07/2025", True),
    ("Công bố danh mục TTHC không phụ thuộc địa giới hành chính", "Văn phòng UBND tỉnh", "25/07/2025", True),
    ("Cấu hình quy trình điện tử cho TTHC cấp xã sau sắp xếp", "Sở Khoa học và Công nghệ", "31/07/2025", True),
    ("Cấp tài khoản, chữ ký số cho cán bộ, công chức cấp xã", "Sở Khoa học và Công nghệ", "20/07/2025", True),
    ("Kết nối Hệ thống thông tin giải quyết TTHC với Cổng Dịch vụ công quốc gia", "Sở Khoa học và Công nghệ", "15/07/2025", True),
    ("Rà soát, chuẩn hóa danh mục mã định danh điện tử của các cơ quan", "Sở Nội vụ", "31/07/2025", True),
    ("Hướng dẫn số hóa hồ sơ, kết quả giải quyết TTHC", "Văn phòng UBND tỉnh", "31/07/2025", True),
    ("Bố trí kinh phí trang thiết bị cho Bộ phận Một cửa cấp xã", "Sở Tài chính", "05/08/2025", True),
    ("Tập huấn nghiệp vụ một cửa cho công chức cấp xã", "Văn phòng UBND tỉnh", "25/07/2025", True),
    ("Cập nhật cơ sở dữ liệu đất đai sau sắp xếp đơn vị hành chính", "Sở Nông nghiệp và Môi trường", "15/08/2025", True),
    ("Triển khai thanh toán trực tuyến phí, lệ phí trên Cổng Dịch vụ công", "Sở Tài chính", "15/08/2025", True),
    ("Báo cáo đánh giá chỉ số phục vụ người dân, doanh nghiệp tháng 7", "Văn phòng UBND tỉnh", "05/08/2025", True),
    ("Kiểm tra an toàn thông tin các hệ thống dùng chung", "Công an tỉnh", "31/07/2025", True),
    ("Xây dựng kho dữ liệu dùng chung của tỉnh", "Sở Khoa học và Công nghệ", "30/09/2025", False),
    ("Số hóa 100% hồ sơ hộ tịch lưu trữ", "Sở Tư pháp", "31/12/2025", False),
    ("Nâng cấp mạng truyền số liệu chuyên dùng đến cấp xã", "Sở Khoa học và Công nghệ", "31/08/2025", False),
    ("Triển khai nền tảng họp trực tuyến đến cấp xã", "Văn phòng UBND tỉnh", "31/08/2025", False),
    ("Tích hợp dữ liệu y tế với ứng dụng VNeID", "Sở Y tế", "30/09/2025", False),
    ("Số hóa học bạ, văn bằng chứng chỉ", "Sở Giáo dục và Đào tạo", "31/10/2025", False),
    ("Hoàn thiện cơ sở dữ liệu người có uy tín vùng đồng bào dân tộc thiểu số", "Sở Dân tộc và Tôn giáo", "30/09/2025", False),
    ("Chuẩn hóa dữ liệu cấp phép xây dựng trên hệ thống", "Sở Xây dựng", "30/11/2025", False),
    ("Đánh giá mức độ hài lòng của người dân đối với dịch vụ công trực tuyến", "Sở Nội vụ", "15/09/2025", False),
)


def pct(num: int, den: int) -> Decimal:
    """A percentage with two decimals, rounded half up (as a report would print it)."""
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def plan_commune_tasks(rng: np.random.Generator, highland: np.ndarray) -> dict:
    """Done flags (communes x 16) at both snapshots and the completion day of each done task."""
    n = len(highland)
    counts = np.concatenate([np.full(c, d) for d, c in DONE_DISTRIBUTION.items()])
    if len(counts) != n:
        raise ValueError(f"the P5 distribution covers {len(counts)} communes, there are {n}")
    # Highland communes (equipment, connectivity) tend to be among those with fewer tasks done.
    score = highland * 1.0 + rng.normal(0, 0.6, n)
    done_count = np.empty(n, dtype=np.int64)
    done_count[np.argsort(score, kind="stable")] = np.sort(counts)[::-1]
    key = np.log(TASK_DIFFICULTY)[None, :] + rng.gumbel(size=(n, TASKS_PER_COMMUNE))
    hardness = np.argsort(np.argsort(-key, axis=1), axis=1)  # 0 = the hardest for that commune
    done_final = hardness >= (TASKS_PER_COMMUNE - done_count)[:, None]
    # At 22/07 a few of each commune's done tasks were not done yet: the hardest of them.
    late = rng.choice(np.arange(5), size=n, p=[0.1, 0.25, 0.3, 0.23, 0.12])
    done_mid = done_final & (hardness >= (TASKS_PER_COMMUNE - done_count + late)[:, None])
    mid_day = clock.day_index(clock.MID_SNAPSHOT)
    early = rng.integers(clock.FIRST_DAY, mid_day + 1, size=done_final.shape)
    later = rng.integers(mid_day + 1, clock.LAST_DAY + 1, size=done_final.shape)
    done_day = np.where(done_mid, early, np.where(done_final, later, -1))
    return {"mid": done_mid, "final": done_final, "done_day": done_day}


def _ddmmyyyy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def write_commune_tasks(out: Path, rng: np.random.Generator, communes: list[tuple[str, str]], plan: dict) -> dict[str, int]:
    counts = {}
    for snap, done in ((clock.MID_SNAPSHOT, plan["mid"]), (clock.FINAL_SNAPSHOT, plan["final"])):
        snap_day = clock.day_index(snap)
        touched = snap_day - rng.integers(0, 6, size=done.shape)  # last update of a task still open
        rows = []
        for c, (code, name) in enumerate(communes):
            for j in range(TASKS_PER_COMMUNE):
                day = plan["done_day"][c, j] if done[c, j] else max(touched[c, j], clock.FIRST_DAY)
                rows.append([code, name, f"NV{j + 1:02d}", NQ57_TASKS[j],
                             "Hoàn thành" if done[c, j] else "Chưa hoàn thành", _ddmmyyyy(clock.day_date(day))])
        rel = f"tasks/nq57-xa-{snap:%Y%m%d}.csv"
        counts[rel] = write_csv(out / rel, ["Mã xã", "Tên xã", "Mã nhiệm vụ", "Tên nhiệm vụ", "Trạng thái", "Ngày cập nhật"], rows)
    return counts


def write_province_tasks(out: Path, rng: np.random.Generator) -> dict[str, int]:
    rows = []
    as_of = clock.FINAL_SNAPSHOT
    for i, (name, lead, deadline, done) in enumerate(PROVINCE_TASKS, 1):
        dl = date(int(deadline[6:]), int(deadline[3:5]), int(deadline[:2]))
        finished = ""
        if done:  # on schedule: finished by the deadline, and by the as-of date
            last = min(dl, as_of)
            finished = _ddmmyyyy(last - timedelta(days=int(rng.integers(0, 10))))
        rows.append([i, f"NQ57-T{i:02d}", name, lead, deadline, "Hoàn thành" if done else "Đang thực hiện", finished])
    rel = f"tasks/nhiem-vu-tinh-{as_of:%Y%m%d}.csv"
    return {rel: write_csv(out / rel, ["STT", "Mã nhiệm vụ", "Tên nhiệm vụ", "Đơn vị chủ trì", "Hạn hoàn thành",
                                       "Trạng thái", "Ngày hoàn thành"], rows)}


def _others_around(rng: np.random.Generator, home: tuple[Decimal, Decimal], ranks: tuple[int, int], n_others: int,
                   lo: float, hi: float, monotone: bool,
                   quantize: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Values (n_others x 2 dates) that put `home` at ranks[0] then ranks[1] (descending), none within 0.05 of it.
    Three groups: above at both dates, overtaken by home between the dates, below at both. A province's first
    value is its second one moved a little (never above it when `monotone`: done tasks stay done). `quantize` moves
    the drawn values to values the provinces can take (the ratio of whole counts); the ranks are checked after it."""
    v1, v2 = float(home[0]), float(home[1])
    above, overtaken = ranks[1] - 1, ranks[0] - ranks[1]
    below = n_others - above - overtaken
    for _ in range(1000):
        g = rng.permutation(np.r_[np.zeros(above), np.ones(overtaken), np.full(below, 2)].astype(int))
        u = rng.uniform(0.1, 1.0, n_others)
        x2 = np.select([g == 0, g == 1], [v2 + rng.uniform(0.1, max(hi - v2, 0.2), n_others),
                                          v2 - rng.uniform(0.1, 1.5, n_others)],
                       v2 - rng.uniform(0.1, max(v2 - lo, 0.2), n_others))
        drift = rng.uniform(0.0, 8.0, n_others) if monotone else rng.normal(-0.6, 1.2, n_others)
        x1 = np.select([g == 0, g == 1], [np.maximum(x2 - drift, v1 + u), v1 + u * np.clip(x2 - v1, 0.11, 1.8)],
                       np.minimum(x2 - drift, v1 - u))
        if monotone:
            x1 = np.minimum(x1, x2)
        x = np.round(np.clip(np.c_[x1, x2], 0, 100), 2)
        if quantize is not None:
            x = quantize(x)
        cents = np.round(x * 100).astype(np.int64)  # compared in hundredths: the file's two decimals, exactly
        ok = all(
            int(np.sum(cents[:, d] > int(home[d] * 100))) == ranks[d] - 1
            and np.all(np.abs(cents[:, d] - int(home[d] * 100)) > 5)
            for d in (0, 1)) and (not monotone or np.all(x[:, 0] <= x[:, 1]))
        if ok:
            return x
    raise ValueError("could not place the other provinces around the home province's values")


def snapshot_counts(values: tuple[float, float], received: tuple[int, int]) -> tuple[int, int]:
    """Online counts (before the mid cut, in all) nearest to the ratios `values` (%), for (received before the mid
    cut, received in all): within what the dossiers allow."""
    n1, n = received
    o1 = min(max(int(round(values[0] * n1 / 100)), 0), n1)
    o = min(max(int(round(values[1] * n / 100)), o1), o1 + n - n1)
    return o1, o


def online_snapshot(rng: np.random.Generator, home_online: tuple[Decimal, Decimal],
                    received: list[tuple[int, int] | None]) -> tuple[list[tuple[str, str]], list[tuple[int, int] | None]]:
    """The other provinces' online ratios at both dates, in code order (strings with two decimals), and for each
    province with records (`received`: its dossiers received before the mid cut and in all, None without records)
    the online counts that give exactly those ratios."""
    if any(r is not None and r[0] == 0 for r in received):
        raise ValueError("a province has no dossier received before the first snapshot (scale too small?)")

    def quantize(x: np.ndarray) -> np.ndarray:
        q = x.copy()
        for j, r in enumerate(received):
            if r is not None:
                o1, o = snapshot_counts((x[j, 0], x[j, 1]), r)
                q[j] = [float(pct(o1, r[0])), float(pct(o, r[1]))]
        return q

    x = _others_around(rng, home_online, RANKS["online"], len(received), 45.0, 96.0, monotone=False, quantize=quantize)
    counts = [None if r is None else snapshot_counts((x[j, 0], x[j, 1]), r) for j, r in enumerate(received)]
    for c, r, v in zip(counts, received, x):  # the counts give back the values written
        assert c is None or (pct(c[0], r[0]), pct(c[1], r[1])) == (Decimal(f"{v[0]:.2f}"), Decimal(f"{v[1]:.2f}"))
    return [(f"{a:.2f}", f"{b:.2f}") for a, b in x], counts


def write_ranking(out: Path, rng: np.random.Generator, provinces: list[tuple[str, str]],
                  home_online: tuple[Decimal, Decimal], home_tasks: tuple[Decimal, Decimal],
                  online: list[tuple[str, str]]) -> tuple[dict[str, int], dict, list[tuple[str, str]]]:
    """The national snapshot; `online`: the other provinces' online ratios (online_snapshot). Returns the records
    written, the home province's ranks, and the other provinces' commune-task values (code order)."""
    others = [p for p in provinces if p[0] != HOME]
    tasks = _others_around(rng, home_tasks, RANKS["commune_tasks"], len(others), 55.0, 100.0, monotone=True)
    rows = []
    for d, snap in enumerate((clock.MID_SNAPSHOT, clock.FINAL_SNAPSHOT)):
        j = 0
        for code, name in provinces:
            if code == HOME:
                o, t = home_online[d], home_tasks[d]
            else:
                o, t = online[j][d], f"{tasks[j, d]:.2f}"
                j += 1
            rows.append([_ddmmyyyy(snap), code, name, str(o), str(t)])
    rel = "tasks/xep-hang-tinh.csv"
    n = write_csv(out / rel, ["Ngày", "Mã tỉnh", "Tên tỉnh", "Tỷ lệ nộp trực tuyến (%)",
                              "Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)"], rows)
    return {rel: n}, {"online": dict(zip(("2025-07-22", "2025-08-06"), RANKS["online"])),
                      "commune_tasks": dict(zip(("2025-07-22", "2025-08-06"), RANKS["commune_tasks"]))}, \
        [(f"{a:.2f}", f"{b:.2f}") for a, b in tasks]
