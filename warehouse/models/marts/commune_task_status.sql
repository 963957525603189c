-- Every task of every commune of the home province at each snapshot of the task-monitoring export, done or not, with
-- the commune's progress: which tasks a lagging commune has not done; grain (snapshot_date, commune_code,
-- task_code). Documentation and tests: schema.yml.
WITH t AS (
    SELECT t.snapshot_date, t.commune_code, coalesce(u.unit_name, t.commune_name) AS commune_name,
           t.task_code, t.task_name, coalesce(t.is_done, false) AS is_done, t.updated_on
    FROM {{ source('core', 'commune_tasks') }} t
    JOIN {{ source('ref', 'units') }} u
      ON u.unit_code = t.commune_code AND u.province_code = {{ param('home_province') }}
),
per_commune AS (
    SELECT snapshot_date, commune_code, CAST(count(*) AS BIGINT) AS tasks_total,
           CAST(count(*) FILTER (WHERE is_done) AS BIGINT) AS tasks_done
    FROM t GROUP BY ALL
)
SELECT t.snapshot_date, t.commune_code, t.commune_name, t.task_code, t.task_name, t.is_done, t.updated_on,
       p.tasks_done, p.tasks_total,
       {{ pct('p.tasks_done', 'p.tasks_total') }} AS completion_pct,
       p.tasks_done < 0.7 * p.tasks_total AS below_70pct,
       t.snapshot_date = max(t.snapshot_date) OVER () AS is_latest
FROM t
JOIN per_commune p USING (snapshot_date, commune_code)
ORDER BY t.snapshot_date, p.tasks_done, t.commune_code, t.task_code
