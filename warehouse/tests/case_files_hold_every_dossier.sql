-- fct_case_files has a row for each dossier of core.dossiers and no other (the grain test says one row per code):
-- an incremental build (macros/incremental.sql) missed no load and kept no dossier deleted since.
{{ config(meta={'dagster': {'ref': {'name': 'fct_case_files'}}}) }}
SELECT *
FROM (SELECT (SELECT count(*) FROM {{ ref('fct_case_files') }}) AS in_marts,
             (SELECT count(*) FROM {{ source('core', 'dossiers') }}) AS in_core)
WHERE in_marts <> in_core
