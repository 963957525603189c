{#- The parameters of the marts (vars in dbt_project.yml, set from Dagster's MartsConfig), as SQL literals. -#}
{% macro param(name) -%}
    {%- set value = var(name[:-6] if name.endswith('_local') else name) -%}
    {%- if name in ('window_start', 'window_end') -%}
        CAST({{ sql_string(value) }} AS TIMESTAMPTZ)
    {%- elif name in ('window_start_local', 'window_end_local') -%}
        {#- the same instant as Vietnam wall-clock time (TIMESTAMP), to compare with the marts' local times -#}
        CAST(timezone('Asia/Ho_Chi_Minh', CAST({{ sql_string(value) }} AS TIMESTAMPTZ)) AS TIMESTAMP)
    {%- elif name == 'commune_target_pct' -%}
        CAST({{ value | float }} AS DOUBLE)
    {%- elif name == 'ratio_definition' -%}
        {%- if value not in ('A', 'B', 'C', 'D') -%}
            {{ exceptions.raise_compiler_error("ratio_definition must be one of A, B, C, D, not " ~ value) }}
        {%- endif -%}
        {{ sql_string(value) }}
    {%- elif name in ('home_province', 'code_version') -%}
        {{ sql_string(value) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown parameter " ~ name) }}
    {%- endif -%}
{%- endmacro %}

{% macro sql_string(value) -%}
    '{{ (value | string) | replace("'", "''") }}'
{%- endmacro %}

{#- The provinces the per-province marts have rows for: every province with a counted dossier, and the home province
    always (its report reads its rows even from an empty warehouse). -#}
{% macro mart_provinces() -%}
    (SELECT province_code FROM {{ ref('fct_case_files') }} WHERE counted UNION SELECT {{ param('home_province') }})
{%- endmacro %}
