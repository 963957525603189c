-- Files not loaded (meta.files outcome rejected or duplicate_file), per source format and kind of reason: the
-- recorded reason without the file's name, and with every number (line, byte, record, size) written as #, so that
-- the same problem in several files is one row.
WITH refused AS (
    SELECT kind, outcome, relpath,
           CASE WHEN outcome = 'duplicate_file' THEN 'the same bytes as a file already loaded'
                ELSE regexp_replace(
                         CASE WHEN starts_with(coalesce(reason, ''), relpath || ': ')
                              THEN substr(reason, length(relpath) + 3) ELSE coalesce(reason, '') END,
                         '[0-9]+', '#', 'g')
           END AS reason_pattern
    FROM {{ source('meta', 'files') }}
    WHERE outcome <> 'loaded'
)
SELECT outcome,
       kind                                               AS source_format,
       reason_pattern,
       count(*)                                           AS files,
       min(relpath)                                       AS example_file
FROM refused
GROUP BY ALL
ORDER BY outcome, files DESC, source_format, reason_pattern
