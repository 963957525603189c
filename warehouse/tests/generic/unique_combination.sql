{#- The grain of a model made of several columns: no two rows share the same values of `columns` (null counts as
    a value, so a null in the grain shows up here too; not_null on each column says so more directly). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
