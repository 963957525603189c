{#- The grain of a model: one row per combination of `columns`, none of them null. Returns each key that breaks it
    (a key on several rows, or a key with a null column) with its row count. One test per model instead of unique
    and not_null on each key column: every dbt test is a node and an asset check, ~40 ms of every run. -#}
{% test grain(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1 or {% for column in columns %}{{ column }} is null{{ " or " if not loop.last }}{% endfor %}
{% endtest %}
