{#- The schema a model is built in is exactly the one it configures (marts, bao_cao), not <target>_<schema>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{- (custom_schema_name or target.schema) | trim -}}
{%- endmacro %}
