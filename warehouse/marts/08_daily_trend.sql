-- marts.daily_trend: dossiers received per local day in the window, online share, and the running ratio.
-- grain: (received_date, level_key).
-- column received_date: Ngày tiếp nhận | local date
-- column level_key: Cấp (mã) | province_wide, province_agencies or commune
-- column received: Số hồ sơ tiếp nhận | dossiers received that day (counted ones)
-- column online: Số hồ sơ trực tuyến | of which online
-- column online_ratio_pct: Tỷ lệ trong ngày (%) | online / received that day
-- column cumulative_received: Lũy kế tiếp nhận | received since the window start
-- column cumulative_online: Lũy kế trực tuyến | online since the window start
-- column cumulative_ratio_pct: Tỷ lệ lũy kế (%) | running online ratio since the window start
CREATE OR REPLACE TABLE marts.daily_trend AS
WITH f AS (
    SELECT * FROM marts.fct_case_files WHERE counted AND province_code = getvariable('home_province')
),
days AS (
    SELECT received_date, 'province_wide' AS level_key, count(*) AS received, count(*) FILTER (WHERE is_online) AS online
    FROM f GROUP BY ALL
    UNION ALL
    SELECT received_date, CASE level WHEN 'province' THEN 'province_agencies' ELSE 'commune' END,
           count(*), count(*) FILTER (WHERE is_online)
    FROM f GROUP BY ALL
)
SELECT received_date, level_key, received, online, pct(online, received) AS online_ratio_pct,
       sum(received) OVER w AS cumulative_received, sum(online) OVER w AS cumulative_online,
       pct(sum(online) OVER w, sum(received) OVER w) AS cumulative_ratio_pct
FROM days
WINDOW w AS (PARTITION BY level_key ORDER BY received_date ROWS UNBOUNDED PRECEDING)
ORDER BY level_key, received_date;
