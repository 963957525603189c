{#- The values of a model's columns: `not_null` lists the columns that may hold no null, `accepted_values` maps a
    column to the codes it may hold (strings or numbers; a null is not a code, as in dbt's accepted_values).
    Returns one row per column and problem that fails, with its row count. One test and one scan per model instead
    of a not_null and an accepted_values test on each column: every dbt test is a node and an asset check, and
    fct_case_files alone had 19 of them, each a scan of every dossier. -#}
{% test column_values(model, not_null=[], accepted_values={}) %}
{%- set counts = [] -%}
{%- for column in not_null -%}
    {%- do counts.append("count(*) filter (where " ~ adapter.quote(column) ~ " is null) as "
                         ~ adapter.quote(column ~ " is null")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set codes = [] -%}
    {%- for value in values -%}
        {%- do codes.append(sql_string(value) if value is string else value | string) -%}
    {%- endfor -%}
    {%- set listed = " not in (" ~ codes | join(", ") ~ ")" -%}
    {%- do counts.append("count(*) filter (where " ~ adapter.quote(column) ~ listed ~ ") as "
                         ~ adapter.quote(column ~ listed)) -%}
{%- endfor %}
with counts as (
    select
        {{ counts | join(",\n        ") }}
    from {{ model }}
)
select problem, n_rows
from (unpivot counts on columns(*) into name problem value n_rows)
where n_rows > 0
{% endtest %}
