{#- Texts the analysts read: one label per level, numbers as Vietnamese readers write them (224.930; 72,35%). -#}

{#- The level's label (the same in every mart, view, the report and the headline). -#}
{% macro level_label(level_key) -%}
    (CASE {{ level_key }} WHEN 'province_wide' THEN 'Toàn tỉnh (sở, ngành và cấp xã)'
                          WHEN 'province_agencies' THEN 'Cấp tỉnh (sở, ngành)'
                          WHEN 'commune' THEN 'Cấp xã' END)
{%- endmacro %}

{#- The level's key in the bao_cao views (the marts keep the English key). -#}
{% macro level_key_vi(level_key) -%}
    (CASE {{ level_key }} WHEN 'province_wide' THEN 'toan_tinh' WHEN 'province_agencies' THEN 'cap_tinh'
                          WHEN 'commune' THEN 'cap_xa' END)
{%- endmacro %}

{% macro level_order(level_key) -%}
    (CASE {{ level_key }} WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END)
{%- endmacro %}

{#- A whole number with "." between thousands: 224930 -> '224.930'. -#}
{% macro vn_int(x) -%}
    translate(format('{:,d}', CAST({{ x }} AS BIGINT)), ',', '.')
{%- endmacro %}

{#- A number with `decimals` decimals, "," before them: 72.35 -> '72,35'. -#}
{% macro vn_dec(x, decimals=2) -%}
    translate(format('{:,.{{ decimals }}f}', CAST({{ x }} AS DOUBLE)), ',.', '.,')
{%- endmacro %}

{#- A value of the given unit ('percent', 'count', 'rank'): 72,35% / 224.930 / 20; null stays null. -#}
{% macro vn_value(x, unit) -%}
    (CASE WHEN {{ x }} IS NULL THEN NULL
          WHEN {{ unit }} = 'percent' THEN {{ vn_dec(x) }} || '%'
          WHEN CAST({{ x }} AS DOUBLE) = round(CAST({{ x }} AS DOUBLE)) THEN {{ vn_int(x) }}
          ELSE {{ vn_dec(x) }} END)
{%- endmacro %}

{#- The same in English notation (224,930; 72.35%), for the English text beside the Vietnamese. -#}
{% macro en_value(x, unit) -%}
    (CASE WHEN {{ x }} IS NULL THEN NULL
          WHEN {{ unit }} = 'percent' THEN format('{:,.2f}', CAST({{ x }} AS DOUBLE)) || '%'
          WHEN CAST({{ x }} AS DOUBLE) = round(CAST({{ x }} AS DOUBLE)) THEN format('{:,d}', CAST({{ x }} AS BIGINT))
          ELSE format('{:,.2f}', CAST({{ x }} AS DOUBLE)) END)
{%- endmacro %}

{#- The unit of a published figure, in Vietnamese. -#}
{% macro unit_vi(unit) -%}
    (CASE {{ unit }} WHEN 'percent' THEN 'tỷ lệ (%)' WHEN 'count' THEN 'số lượng' WHEN 'rank' THEN 'thứ hạng'
                     ELSE {{ unit }} END)
{%- endmacro %}

{#- The grains of marts.indicators above a unit or a procedure: the level labels above. -#}
{% macro grain_label(grain) -%}
    {{ level_label("CASE " ~ grain ~ " WHEN 'province' THEN 'province_wide' WHEN 'communes' THEN 'commune' ELSE " ~ grain ~ " END") }}
{%- endmacro %}
