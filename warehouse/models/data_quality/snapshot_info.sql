-- One row: when and from what the marts of this snapshot were built. built_at is dbt's run start, as local time
-- (Asia/Ho_Chi_Minh); the parameters are the dbt vars of the build (assets/marts.py MartsConfig).
{%- set built = run_started_at.astimezone(modules.pytz.timezone('Asia/Ho_Chi_Minh')) %}
SELECT TIMESTAMP '{{ built.strftime("%Y-%m-%d %H:%M:%S") }}'  AS built_at,
       timezone('Asia/Ho_Chi_Minh', {{ param('window_start') }}) AS window_start,
       timezone('Asia/Ho_Chi_Minh', {{ param('window_end') }})   AS window_end,
       {{ param('ratio_definition') }}                    AS ratio_definition,
       {{ definition_text(param('ratio_definition')) }}   AS definition_text,
       {{ param('home_province') }}                       AS home_province,
       (SELECT any_value(province_name) FROM {{ source('ref', 'units') }}
        WHERE province_code = {{ param('home_province') }}) AS home_province_name,
       {{ param('commune_target_pct') }}                  AS commune_target_pct,
       {{ param('code_version') }}                        AS code_version,
       (SELECT count(*) FROM {{ source('meta', 'loads') }} WHERE status = 'succeeded') AS loads_succeeded,
       (SELECT max(load_id) FROM {{ source('meta', 'loads') }} WHERE status = 'succeeded') AS last_load_id,
       (SELECT timezone('Asia/Ho_Chi_Minh', max(finished_at)) FROM {{ source('meta', 'loads') }}
        WHERE status = 'succeeded') AS last_load_finished_at
