-- The online ratio of each province under each of the four definitions, per level;
-- grain (province_code, level_key, ratio_definition): every level of every province has its four rows, with zero
-- counts (and no ratio) when it has no counted dossier, so the levels always add up. Documentation and tests:
-- schema.yml.
WITH f AS (
    SELECT * FROM {{ ref('fct_case_files') }} WHERE counted
),
level_keys AS (
    SELECT p.province_code, k.level_key
    FROM {{ mart_provinces() }} p
    CROSS JOIN (VALUES ('province_wide'), ('province_agencies'), ('commune')) k(level_key)
),
{%- set definitions = ['A', 'B', 'C', 'D'] %}
defs(ratio_definition) AS (VALUES {% for def in definitions %}('{{ def }}'){{ ', ' if not loop.last }}{% endfor %}),
{#- The four definitions' counts side by side, in one pass over the dossiers of each province and of each of its
    levels (the dossiers crossed with the four definitions were four times the rows to aggregate) -#}
per_level AS (
    SELECT province_code,
           CASE WHEN grouping(level) = 1 THEN 'province_wide' WHEN level = 'province' THEN 'province_agencies'
                WHEN level = 'commune' THEN 'commune' END AS level_key,
           {%- for def in definitions %}
           count(*) FILTER (WHERE {{ in_numerator("'" ~ def ~ "'", 'is_online', 'muc_do') }}) AS "numerator {{ def }}",
           count(*) FILTER (WHERE {{ in_denominator("'" ~ def ~ "'", 'channel', 'muc_do') }}) AS "denominator {{ def }}",
           {%- endfor %}
           avg(CASE WHEN synced_to_portal THEN 1.0 ELSE 0.0 END) AS sync_ratio
    FROM f
    GROUP BY GROUPING SETS ((province_code), (province_code, level))
),
counted AS (
    SELECT l.province_code, l.level_key, d.ratio_definition,
           CASE d.ratio_definition {%- for def in definitions %} WHEN '{{ def }}' THEN "numerator {{ def }}"{% endfor %} END
               AS numerator,
           CASE d.ratio_definition {%- for def in definitions %} WHEN '{{ def }}' THEN "denominator {{ def }}"{% endfor %} END
               AS denominator,
           l.sync_ratio
    FROM per_level l CROSS JOIN defs d
    WHERE l.level_key IS NOT NULL
)
SELECT k.province_code, k.province_code = {{ param('home_province') }} AS is_home,
       k.level_key, {{ level_label('k.level_key') }} AS level_label, d.ratio_definition,
       {{ definition_text('d.ratio_definition') }} AS definition_text,
       coalesce(c.numerator, 0) AS numerator, coalesce(c.denominator, 0) AS denominator,
       round(c.sync_ratio, 6) AS sync_ratio,
       CASE WHEN d.ratio_definition = 'D'
            THEN round(100.0 * c.numerator / nullif(c.denominator, 0) * c.sync_ratio, 2)::DECIMAL(12, 2)
            ELSE {{ pct('c.numerator', 'c.denominator') }} END AS ratio_pct
FROM level_keys k CROSS JOIN defs d
LEFT JOIN counted c
    ON c.province_code = k.province_code AND c.level_key = k.level_key AND c.ratio_definition = d.ratio_definition
ORDER BY k.province_code, {{ level_order('k.level_key') }}, d.ratio_definition
