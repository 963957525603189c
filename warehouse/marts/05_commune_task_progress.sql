-- marts.commune_task_progress: how many of their tasks the home province's communes had completed, per snapshot of
-- the task-monitoring export: the distribution of communes by number of tasks done.
-- grain: (snapshot_date, tasks_done).
-- column snapshot_date: Ngày số liệu | date of the task-monitoring snapshot
-- column tasks_done: Số nhiệm vụ hoàn thành | tasks completed by a commune
-- column tasks_total: Tổng số nhiệm vụ | tasks assigned to each commune
-- column communes: Số xã | communes with that many tasks done
-- column share_pct: Tỷ lệ (%) | communes / all communes of the snapshot, percent
-- column completion_pct: Tỷ lệ hoàn thành (%) | tasks_done / tasks_total, percent
-- column below_70pct: Dưới 70% | completion below 70%
CREATE OR REPLACE TABLE marts.commune_task_progress AS
WITH per_commune AS (
    SELECT t.snapshot_date, t.commune_code, count(*) AS tasks, count(*) FILTER (WHERE t.is_done) AS done
    FROM core.commune_tasks t
    JOIN ref.units u ON u.unit_code = t.commune_code AND u.province_code = getvariable('home_province')
    GROUP BY ALL
)
SELECT snapshot_date, done AS tasks_done, max(tasks) AS tasks_total, count(*) AS communes,
       pct(count(*), sum(count(*)) OVER (PARTITION BY snapshot_date)) AS share_pct,
       pct(done, max(tasks)) AS completion_pct,
       done < 0.7 * max(tasks) AS below_70pct
FROM per_commune
GROUP BY snapshot_date, done
ORDER BY snapshot_date, tasks_done DESC;
