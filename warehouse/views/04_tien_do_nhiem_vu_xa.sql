-- bao_cao.tien_do_nhiem_vu_xa: Tiến độ thực hiện nhiệm vụ của cấp xã | per snapshot of the task-monitoring export,
-- how many communes had completed how many of their tasks (the distribution of communes by tasks done).
-- Over marts.commune_task_progress.
-- grain: one row per (snapshot date, number of tasks done).
-- column "Ngày số liệu": snapshot_date | date of the task-monitoring snapshot
-- column "Số nhiệm vụ hoàn thành": tasks_done | tasks a commune had completed
-- column "Tổng số nhiệm vụ": tasks_total | tasks assigned to each commune
-- column "Số xã": communes | communes with that many tasks done
-- column "Tỷ lệ số xã (%)": share_pct | those communes / all communes of the snapshot, percent
-- column "Tỷ lệ hoàn thành (%)": completion_pct | tasks done / tasks assigned, percent
-- column "Dưới 70%": below_70pct | completion below 70%
CREATE OR REPLACE VIEW bao_cao.tien_do_nhiem_vu_xa AS
SELECT snapshot_date   AS "Ngày số liệu",
       tasks_done      AS "Số nhiệm vụ hoàn thành",
       tasks_total     AS "Tổng số nhiệm vụ",
       communes        AS "Số xã",
       share_pct       AS "Tỷ lệ số xã (%)",
       completion_pct  AS "Tỷ lệ hoàn thành (%)",
       below_70pct     AS "Dưới 70%"
FROM marts.commune_task_progress
ORDER BY snapshot_date, tasks_done DESC;
