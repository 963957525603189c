-- Question: how did the province-wide online ratio move, day by day, over the reporting window?
-- Source: marts.daily_trend, the home province (is_home), level province_wide (all agencies and communes of the home province; online / received,
-- i.e. definition A; test dossiers excluded).
-- How to read the result: one row per local day (Asia/Ho_Chi_Minh) on which dossiers were received (a day without
-- any dossier has no row). day_ratio_pct is that day's online share; cumulative_ratio_pct is the running ratio from
-- the window start to the end of that day, so the last row's cumulative figures are the window's headline
-- (received, online, ratio). cumulative_change_pts is how many percentage points the running ratio moved that day.
SELECT received_date,
       received,
       online,
       online_ratio_pct AS day_ratio_pct,
       cumulative_received,
       cumulative_online,
       cumulative_ratio_pct,
       cumulative_ratio_pct - lag(cumulative_ratio_pct) OVER (ORDER BY received_date) AS cumulative_change_pts
FROM marts.daily_trend
WHERE is_home AND level_key = 'province_wide'
ORDER BY received_date;
