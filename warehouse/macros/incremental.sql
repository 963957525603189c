{#- fct_case_files is built incrementally: a build rewrites only the dossiers merged by loads it has not seen
    (core.dossiers.merged_load_id). Its rows also depend on the reporting window, the reference tables it joins and
    its own SQL; the build key is a digest of the three, written on every row, and rows of another key are deleted
    before the build, which then rebuilds every dossier (a full build, as after `--full-refresh`). -#}

{% macro case_files_build_key() -%}
    {#- The reference columns fct_case_files reads (not their load ids: a reference file loaded again with the same
        content changes nothing). -#}
    {%- set digest = '' -%}
    {%- if execute -%}
        {%- set query -%}
            SELECT md5(coalesce(string_agg(t, '|' ORDER BY t), ''))
            FROM (SELECT CAST({'unit': unit_code, 'name': unit_name} AS VARCHAR) AS t
                  FROM {{ source('ref', 'units') }}
                  UNION ALL
                  SELECT CAST({'procedure': procedure_code, 'name': procedure_name, 'field': field_name,
                               'muc_do': muc_do, 'boundary_free': boundary_free} AS VARCHAR)
                  FROM {{ source('ref', 'procedures') }}
                  UNION ALL
                  SELECT CAST({'domain': domain, 'code': code, 'label': label_vi} AS VARCHAR)
                  FROM {{ source('ref', 'code_labels') }})
        {%- endset -%}
        {%- set digest = run_query(query).columns[0].values()[0] -%}
    {%- endif -%}
    {{- return(local_md5(model.raw_code ~ '|' ~ var('window_start') ~ '|' ~ var('window_end') ~ '|' ~ digest)) -}}
{%- endmacro %}

{#- True when the model exists and every row carries this build key: only the dossiers of unseen loads need
    building. -#}
{% macro case_files_up_to_date(build_key) -%}
    {%- if not execute or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'build_key' not in columns or 'merged_load_id' not in columns -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set other = run_query("SELECT count(*) FROM " ~ this ~ " WHERE build_key IS DISTINCT FROM "
                              ~ sql_string(build_key)).columns[0].values()[0] -%}
    {{- return(other == 0) -}}
{%- endmacro %}

{#- The pre-hook: rows built under another key (or before the key existed) are deleted, so the build that follows
    writes every dossier again. -#}
{% macro case_files_delete_stale() -%}
    {%- if execute and is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        DELETE FROM {{ this }}
        {%- if 'build_key' in columns %} WHERE build_key IS DISTINCT FROM {{ sql_string(case_files_build_key()) }}{% endif %}
    {%- endif -%}
{%- endmacro %}

{#- The post-hook: the loads never delete a dossier, but a data engineer may (a test dossier removed by hand). An
    incremental build cannot see that in the loads, so once it is done the row counts are compared (both read from
    the tables' metadata) and, only when they differ, the rows of dossiers gone from core.dossiers are deleted. -#}
{% macro case_files_delete_orphans() -%}
    {%- if execute -%}
        {%- set query -%}
            SELECT (SELECT count(*) FROM {{ this }}) - (SELECT count(*) FROM {{ source('core', 'dossiers') }})
        {%- endset -%}
        {%- if run_query(query).columns[0].values()[0] != 0 -%}
            DELETE FROM {{ this }}
            WHERE dossier_code NOT IN (SELECT dossier_code FROM {{ source('core', 'dossiers') }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
