-- Dossiers and online ratio per procedure in each province (definition A); grain (province_code, procedure_code).
-- Documentation and tests: schema.yml.
SELECT province_code, province_code = {{ param('home_province') }} AS is_home, procedure_code, any_value(procedure_name) AS procedure_name, any_value(field_name) AS field_name,
       string_agg(DISTINCT level, ',' ORDER BY level) AS level, any_value(muc_do) AS muc_do,
       any_value(boundary_free) AS boundary_free,
       count(*) AS received, count(*) FILTER (WHERE is_online) AS online,
       {{ pct('count(*) FILTER (WHERE is_online)', 'count(*)') }} AS online_ratio_pct,
       {{ pct('count(*) FILTER (WHERE on_time)', 'count(on_time)') }} AS on_time_pct
FROM {{ ref('fct_case_files') }}
WHERE counted
GROUP BY province_code, procedure_code
ORDER BY province_code, received DESC, procedure_code
