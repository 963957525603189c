-- How many of their tasks the home province's communes had completed, per snapshot of the task-monitoring
-- export; grain (snapshot_date, tasks_done). Documentation and tests: schema.yml.
WITH per_commune AS (
    SELECT t.snapshot_date, t.commune_code, count(*) AS tasks, count(*) FILTER (WHERE t.is_done) AS done
    FROM {{ source('core', 'commune_tasks') }} t
    JOIN {{ source('ref', 'units') }} u
      ON u.unit_code = t.commune_code AND u.province_code = {{ param('home_province') }}
    GROUP BY ALL
)
SELECT snapshot_date, done AS tasks_done, max(tasks) AS tasks_total, count(*) AS communes,
       {{ pct('count(*)', 'sum(count(*)) OVER (PARTITION BY snapshot_date)') }} AS share_pct,
       {{ pct('done', 'max(tasks)') }} AS completion_pct,
       done < 0.7 * max(tasks) AS below_70pct
FROM per_commune
GROUP BY snapshot_date, done
ORDER BY snapshot_date, tasks_done DESC
