-- Dossiers received per local day in the window, online share and running ratio, per province; grain
-- (province_code, received_date, level_key). Documentation and tests: schema.yml.
WITH f AS (
    SELECT * FROM {{ ref('fct_case_files') }} WHERE counted
),
days AS (
    SELECT province_code, received_date, 'province_wide' AS level_key, count(*) AS received, count(*) FILTER (WHERE is_online) AS online
    FROM f GROUP BY ALL
    UNION ALL
    SELECT province_code, received_date, CASE level WHEN 'province' THEN 'province_agencies' ELSE 'commune' END,
           count(*), count(*) FILTER (WHERE is_online)
    FROM f GROUP BY ALL
)
SELECT province_code, province_code = {{ param('home_province') }} AS is_home, received_date, level_key, received, online, {{ pct('online', 'received') }} AS online_ratio_pct,
       CAST(sum(received) OVER w AS BIGINT) AS cumulative_received,
       CAST(sum(online) OVER w AS BIGINT) AS cumulative_online,
       {{ pct('sum(online) OVER w', 'sum(received) OVER w') }} AS cumulative_ratio_pct
FROM days
WINDOW w AS (PARTITION BY province_code, level_key ORDER BY received_date ROWS UNBOUNDED PRECEDING)
ORDER BY province_code, level_key, received_date
