-- The 34-province national snapshot with the home province recomputed, ranked per snapshot date;
-- grain (snapshot_date, province_code). Documentation and tests: schema.yml.
WITH snaps AS (SELECT DISTINCT snapshot_date FROM {{ source('core', 'province_snapshot') }}),
home_online AS (
    SELECT s.snapshot_date,
           {{ pct('count(f.dossier_code) FILTER (WHERE f.is_online)', 'count(f.dossier_code)') }} AS ratio
    FROM snaps s
    LEFT JOIN {{ ref('fct_case_files') }} f
           ON f.counted AND f.province_code = {{ param('home_province') }}
          AND f.received_at < s.snapshot_date + INTERVAL 16 HOUR  -- both Vietnam wall-clock time
    GROUP BY s.snapshot_date
),
home_tasks AS (
    SELECT t.snapshot_date, {{ pct('count(*) FILTER (WHERE t.is_done)', 'count(*)') }} AS task_pct
    FROM {{ source('core', 'commune_tasks') }} t
    JOIN {{ source('ref', 'units') }} u ON u.unit_code = t.commune_code AND u.province_code = {{ param('home_province') }}
    GROUP BY t.snapshot_date
),
joined AS (
    SELECT p.snapshot_date, p.province_code, p.province_name,
           p.province_code = {{ param('home_province') }} AS is_home,
           CASE WHEN p.province_code = {{ param('home_province') }} THEN coalesce(h.ratio, p.online_ratio_pct)
                ELSE p.online_ratio_pct END AS online_ratio_pct,
           p.online_ratio_pct AS reported_online_ratio_pct,
           CASE WHEN p.province_code = {{ param('home_province') }} THEN coalesce(t.task_pct, p.commune_task_pct)
                ELSE p.commune_task_pct END AS commune_task_pct,
           p.commune_task_pct AS reported_commune_task_pct
    FROM {{ source('core', 'province_snapshot') }} p
    LEFT JOIN home_online h ON h.snapshot_date = p.snapshot_date
    LEFT JOIN home_tasks t ON t.snapshot_date = p.snapshot_date
),
ranked AS (
    SELECT *,
           rank() OVER (PARTITION BY snapshot_date ORDER BY online_ratio_pct DESC) AS online_rank,
           rank() OVER (PARTITION BY snapshot_date ORDER BY commune_task_pct DESC) AS task_rank,
           count(*) OVER (PARTITION BY snapshot_date) AS provinces
    FROM joined
)
SELECT snapshot_date, province_code, province_name, is_home,
       online_ratio_pct, reported_online_ratio_pct, online_rank,
       lag(online_rank) OVER (PARTITION BY province_code ORDER BY snapshot_date) - online_rank AS online_rank_change,
       commune_task_pct, reported_commune_task_pct, task_rank,
       lag(task_rank) OVER (PARTITION BY province_code ORDER BY snapshot_date) - task_rank AS task_rank_change,
       provinces
FROM ranked
ORDER BY snapshot_date, online_rank, province_code
