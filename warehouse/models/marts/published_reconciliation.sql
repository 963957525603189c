-- Every figure of the published report beside the value recomputed from the records; grain figure_id.
-- Documentation and tests: schema.yml.
WITH lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }} WHERE is_home),  -- the report is the home province's
g AS (
    SELECT max(received) FILTER (WHERE level_key = 'province_wide') AS rw,
           max(online) FILTER (WHERE level_key = 'province_wide') AS ow,
           max(returned) FILTER (WHERE level_key = 'province_wide') AS tw,
           max(received) FILTER (WHERE level_key = 'province_agencies') AS ra,
           max(online) FILTER (WHERE level_key = 'province_agencies') AS oa,
           max(returned) FILTER (WHERE level_key = 'province_agencies') AS ta,
           max(received) FILTER (WHERE level_key = 'commune') AS rc,
           max(online) FILTER (WHERE level_key = 'commune') AS oc,
           max(returned) FILTER (WHERE level_key = 'commune') AS tc
    FROM lv
),
latest_rank AS (
    SELECT * FROM {{ ref('province_ranking') }}
    WHERE is_home AND snapshot_date = (SELECT max(snapshot_date) FROM {{ ref('province_ranking') }})
),
latest_tasks AS (
    SELECT * FROM {{ ref('commune_task_progress') }}
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM {{ ref('commune_task_progress') }})
),
ptasks AS (
    SELECT * FROM {{ ref('province_task_status') }}
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM {{ ref('province_task_status') }})
),
-- Every candidate metric: its value and the computation in Vietnamese (with its numbers, written as Vietnamese
-- readers write them: 224.930) and in English.
metrics(metric, unit, value, vi, en) AS (
    SELECT 'received.province_wide', 'count', rw, 'tổng số hồ sơ tiếp nhận trong kỳ = ' || {{ vn_int('rw') }},
           'all dossiers received in the window' FROM g
    UNION ALL SELECT 'online.province_wide', 'count', ow, 'số hồ sơ trực tuyến, toàn tỉnh = ' || {{ vn_int('ow') }},
           'online dossiers, all agencies' FROM g
    UNION ALL SELECT 'returned.province_wide', 'count', tw,
           'số hồ sơ đã trả kết quả (trạng thái 10), toàn tỉnh = ' || {{ vn_int('tw') }},
           'dossiers with status 10, all agencies' FROM g
    UNION ALL SELECT 'received.province_agencies', 'count', ra,
           'số hồ sơ tiếp nhận của cấp tỉnh (sở, ngành) = ' || {{ vn_int('ra') }},
           'dossiers received by province-level agencies' FROM g
    UNION ALL SELECT 'online.province_agencies', 'count', oa,
           'số hồ sơ trực tuyến của cấp tỉnh (sở, ngành) = ' || {{ vn_int('oa') }},
           'online dossiers, province-level agencies' FROM g
    UNION ALL SELECT 'received.commune', 'count', rc, 'số hồ sơ tiếp nhận của cấp xã = ' || {{ vn_int('rc') }},
           'dossiers received by the communes' FROM g
    UNION ALL SELECT 'online.commune', 'count', oc, 'số hồ sơ trực tuyến của cấp xã = ' || {{ vn_int('oc') }},
           'online dossiers, communes' FROM g
    UNION ALL SELECT 'ratio.province_wide', 'percent', {{ pct('ow', 'rw') }},
           'trực tuyến / tiếp nhận, toàn tỉnh = ' || {{ vn_int('ow') }} || ' / ' || {{ vn_int('rw') }},
           'online / received, all agencies' FROM g
    UNION ALL SELECT 'ratio.province_agencies', 'percent', {{ pct('oa', 'ra') }},
           'trực tuyến / tiếp nhận, cấp tỉnh (sở, ngành) = ' || {{ vn_int('oa') }} || ' / ' || {{ vn_int('ra') }},
           'online / received, province-level agencies' FROM g
    UNION ALL SELECT 'ratio.commune', 'percent', {{ pct('oc', 'rc') }},
           'trực tuyến / tiếp nhận, cấp xã = ' || {{ vn_int('oc') }} || ' / ' || {{ vn_int('rc') }},
           'online / received, communes' FROM g
    UNION ALL SELECT 'ratio.commune_online_over_agency_online', 'percent', {{ pct('oc', 'oa') }},
           'trực tuyến cấp xã / trực tuyến cấp tỉnh (sở, ngành) = ' || {{ vn_int('oc') }} || ' / ' || {{ vn_int('oa') }},
           'commune online / province-level online' FROM g
    UNION ALL SELECT 'ratio.commune_online_over_all_online', 'percent', {{ pct('oc', 'ow') }},
           'trực tuyến cấp xã / trực tuyến toàn tỉnh = ' || {{ vn_int('oc') }} || ' / ' || {{ vn_int('ow') }},
           'commune online / all online' FROM g
    UNION ALL SELECT 'ratio.commune_received_over_all_received', 'percent', {{ pct('rc', 'rw') }},
           'tiếp nhận cấp xã / tiếp nhận toàn tỉnh = ' || {{ vn_int('rc') }} || ' / ' || {{ vn_int('rw') }},
           'commune received / all received' FROM g
    UNION ALL SELECT 'ratio.returned_over_received', 'percent', {{ pct('tw', 'rw') }},
           'đã trả kết quả / tiếp nhận, toàn tỉnh = ' || {{ vn_int('tw') }} || ' / ' || {{ vn_int('rw') }},
           'returned / received, all agencies' FROM g
    UNION ALL SELECT 'rank.online', 'rank', online_rank,
           format('thứ hạng tỷ lệ trực tuyến (tính lại) trong {:d} tỉnh, thành phố ngày {}', provinces,
                  strftime(snapshot_date, '%d/%m/%Y')),
           'rank of the recomputed online ratio among the provinces on that date' FROM latest_rank
    UNION ALL SELECT 'rank_change.online', 'rank', online_rank_change,
           'số bậc tăng về tỷ lệ trực tuyến so với kỳ trước',
           'places gained on the online ratio since the previous snapshot' FROM latest_rank
    UNION ALL SELECT 'rank.tasks', 'rank', task_rank,
           format('thứ hạng tỷ lệ hoàn thành nhiệm vụ cấp xã trong {:d} tỉnh, thành phố ngày {}', provinces,
                  strftime(snapshot_date, '%d/%m/%Y')),
           'rank of commune-task completion among the provinces on that date' FROM latest_rank
    UNION ALL SELECT 'rank_change.tasks', 'rank', task_rank_change,
           'số bậc tăng về hoàn thành nhiệm vụ cấp xã so với kỳ trước',
           'places gained on commune-task completion since the previous snapshot' FROM latest_rank
    UNION ALL SELECT 'tasks.done_' || tasks_done, 'count', communes,
           format('số xã hoàn thành {:d}/{:d} nhiệm vụ ngày {}', tasks_done, tasks_total,
                  strftime(snapshot_date, '%d/%m/%Y')),
           format('communes with {:d}/{:d} tasks done', tasks_done, tasks_total) FROM latest_tasks
    UNION ALL SELECT 'tasks.below_70pct', 'count', CAST(coalesce(sum(communes) FILTER (WHERE below_70pct), 0) AS BIGINT),
           'số xã hoàn thành dưới 70% nhiệm vụ', 'communes with less than 70% of their tasks done' FROM latest_tasks
    UNION ALL SELECT 'province_tasks.total', 'count', tasks_total, 'số nhiệm vụ cấp tỉnh', 'province-level tasks'
           FROM ptasks
    UNION ALL SELECT 'province_tasks.done', 'count', tasks_done, 'số nhiệm vụ cấp tỉnh đã hoàn thành',
           'province-level tasks done' FROM ptasks
    UNION ALL SELECT 'province_tasks.in_progress', 'count', in_progress_within_deadline,
           'số nhiệm vụ cấp tỉnh đang thực hiện trong hạn', 'province-level tasks open and within deadline' FROM ptasks
    UNION ALL SELECT 'procedures.boundary_free', 'count',
           count(*) FILTER (WHERE boundary_free AND boundary_free_status = 'approved'),
           'số thủ tục không phụ thuộc địa giới hành chính (đã phê duyệt) trong danh mục',
           'procedures flagged boundary-free (approved) in the catalogue' FROM {{ source('ref', 'procedures') }}
    UNION ALL SELECT 'procedures.boundary_free_pending', 'count', count(*) FILTER (WHERE boundary_free_status = 'pending'),
           'số thủ tục đề nghị không phụ thuộc địa giới, đang chờ phê duyệt',
           'procedures proposed boundary-free, pending' FROM {{ source('ref', 'procedures') }}
),
-- What each published figure's label claims to measure. The report's own words are in ref.published_figures.
claims(figure_id, claimed_metric) AS (VALUES
    ('P1_ratio', 'ratio.province_wide'), ('P1_received', 'received.province_wide'),
    ('P1_online', 'online.province_wide'), ('P1_returned', 'returned.province_wide'),
    ('P2_rank', 'rank.online'), ('P2_rank_change', 'rank_change.online'),
    ('P3_received', 'received.province_wide'), ('P3_online', 'online.province_wide'), ('P3_ratio', 'ratio.province_wide'),
    ('P4_received', 'received.commune'), ('P4_online', 'online.commune'), ('P4_ratio', 'ratio.commune'),
    ('P5_done_16', 'tasks.done_16'), ('P5_done_15', 'tasks.done_15'), ('P5_done_14', 'tasks.done_14'),
    ('P5_done_13', 'tasks.done_13'), ('P5_done_12', 'tasks.done_12'), ('P5_below_70pct', 'tasks.below_70pct'),
    ('P6_rank', 'rank.tasks'), ('P6_rank_change', 'rank_change.tasks'),
    ('P7_total', 'province_tasks.total'), ('P7_done', 'province_tasks.done'), ('P7_in_progress', 'province_tasks.in_progress'),
    ('P8_procedures', 'procedures.boundary_free'), ('P8_pending', 'procedures.boundary_free_pending'),
    ('P9_lookups', NULL)
),
fig AS (
    SELECT p.figure_id, p.report_ref, p.label_vi, p.unit, p.value AS published_value, c.claimed_metric,
           m.value AS recomputed_value, m.vi AS claimed_vi, m.en AS claimed_en,
           m.vi || ' | ' || m.en AS claimed_formula,
           CASE WHEN m.value IS NOT NULL THEN {{ same_figure('p.unit', 'p.value', 'm.value') }} END AS matches
    FROM {{ source('ref', 'published_figures') }} p
    LEFT JOIN claims c USING (figure_id)
    LEFT JOIN metrics m ON m.metric = c.claimed_metric
),
repro AS (
    SELECT f.figure_id,
           string_agg(m.metric, ', ' ORDER BY m.metric) AS reproduced_by,
           string_agg(m.vi || ' | ' || m.en, '; ' ORDER BY m.metric) AS reproducing_formula,
           string_agg(m.vi, '; ' ORDER BY m.metric) AS reproducing_vi,
           string_agg(m.en, '; ' ORDER BY m.metric) AS reproducing_en
    FROM fig f
    JOIN metrics m ON m.unit = f.unit AND m.value IS NOT NULL
     AND {{ same_figure('f.unit', 'f.published_value', 'm.value') }}
    GROUP BY f.figure_id
)
SELECT f.figure_id, f.report_ref, f.label_vi, f.unit, f.published_value, f.claimed_metric, f.recomputed_value,
       f.claimed_formula, f.matches,
       CASE WHEN f.matches THEN f.claimed_metric ELSE r.reproduced_by END AS reproduced_by,
       CASE WHEN f.matches THEN f.claimed_formula ELSE r.reproducing_formula END AS reproducing_formula,
       CASE
           WHEN f.claimed_metric IS NULL THEN 'không tính lại được: kho dữ liệu không có hồ sơ cho số liệu này'
           WHEN f.recomputed_value IS NULL THEN 'không tính lại được: không có hồ sơ cho ' || f.claimed_metric
           WHEN f.matches THEN 'khớp với số liệu tính lại từ hồ sơ'
           WHEN r.reproduced_by IS NOT NULL THEN
               format('không khớp với nhãn: tính lại từ hồ sơ được {} ({}); số công bố {} là {}',
                      {{ vn_value('f.recomputed_value', 'f.unit') }}, f.claimed_vi,
                      {{ vn_value('f.published_value', 'f.unit') }}, r.reproducing_vi)
           ELSE format('không khớp: tính lại từ hồ sơ được {} ({}); không cách tính nào từ hồ sơ cho ra {}',
                       {{ vn_value('f.recomputed_value', 'f.unit') }}, f.claimed_vi,
                       {{ vn_value('f.published_value', 'f.unit') }})
       END AS finding,
       CASE
           WHEN f.claimed_metric IS NULL THEN 'not recomputable: the warehouse holds no records for this figure'
           WHEN f.recomputed_value IS NULL THEN 'not recomputable: no records for ' || f.claimed_metric
           WHEN f.matches THEN 'matches the records'
           WHEN r.reproduced_by IS NOT NULL THEN
               format('does not match its label: the records give {} for {} ({}); the published {} is {}',
                      {{ en_value('f.recomputed_value', 'f.unit') }}, f.claimed_metric, f.claimed_en,
                      {{ en_value('f.published_value', 'f.unit') }}, r.reproducing_en)
           ELSE format('does not match: the records give {} ({}) and no recomputed metric gives {}',
                       {{ en_value('f.recomputed_value', 'f.unit') }}, f.claimed_en,
                       {{ en_value('f.published_value', 'f.unit') }})
       END AS finding_en
FROM fig f
LEFT JOIN repro r USING (figure_id)
ORDER BY f.report_ref, f.figure_id
