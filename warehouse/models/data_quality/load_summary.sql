-- One row per load (meta.loads) with what became of the files it saw (meta.files): the trend over loads. Counts,
-- times and statuses only: no record value reaches this table.
WITH files AS (
    SELECT load_id,
           count(*)                                           AS files,
           count(*) FILTER (WHERE outcome = 'loaded')         AS files_loaded,
           count(*) FILTER (WHERE outcome = 'rejected')       AS files_rejected,
           count(*) FILTER (WHERE outcome = 'duplicate_file') AS files_duplicate,
           coalesce(sum(records_read), 0)::BIGINT             AS records_read,
           coalesce(sum(records_loaded), 0)::BIGINT           AS records_loaded,
           coalesce(sum(records_quarantined), 0)::BIGINT      AS records_quarantined,
           coalesce(sum(records_warned), 0)::BIGINT           AS records_warned
    FROM {{ source('meta', 'files') }}
    GROUP BY load_id
), loads AS (
    SELECT l.load_id, l.started_at, l.finished_at, l.status, l.partition_range, l.seconds,
           coalesce(f.files, 0)               AS files,
           coalesce(f.files_loaded, 0)        AS files_loaded,
           coalesce(f.files_rejected, 0)      AS files_rejected,
           coalesce(f.files_duplicate, 0)     AS files_duplicate,
           coalesce(f.records_read, 0)        AS records_read,
           coalesce(f.records_loaded, 0)      AS records_loaded,
           coalesce(f.records_quarantined, 0) AS records_quarantined,
           coalesce(f.records_warned, 0)      AS records_warned
    FROM {{ source('meta', 'loads') }} l
    LEFT JOIN files f USING (load_id)
)
SELECT row_number() OVER w                                AS load_seq,
       load_id,
       timezone('Asia/Ho_Chi_Minh', started_at)           AS started_at,
       timezone('Asia/Ho_Chi_Minh', finished_at)          AS finished_at,
       status,
       partition_range,
       files, files_loaded, files_rejected, files_duplicate,
       records_read, records_loaded, records_quarantined, records_warned,
       {{ pct('records_quarantined', 'records_read') }}  AS quarantined_pct,
       (sum(records_read) OVER w)::BIGINT                 AS cumulative_records_read,
       (sum(records_loaded) OVER w)::BIGINT               AS cumulative_records_loaded,
       (sum(records_quarantined) OVER w)::BIGINT          AS cumulative_records_quarantined,
       {{ pct('sum(records_quarantined) OVER w', 'sum(records_read) OVER w') }} AS cumulative_quarantined_pct,
       round(seconds, 3)                                  AS seconds
FROM loads
WINDOW w AS (ORDER BY started_at, load_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY load_seq
