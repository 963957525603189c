{#- The online-ratio definitions of docs/data-contracts.md and DATA_WORLD §3.3, as row-level inclusion rules
    (arguments are SQL expressions):
      A  online / all received (the report's definition; national index 3.3 before its sync multiplier)
      B  online / received for online-capable procedures (MucDo 3, 4)
      C  online / (online + in person): postal left out
      D  A x the sync ratio (share of the dossiers that reached the national portal) -#}

{% macro in_numerator(def, is_online, muc_do) -%}
    ({{ is_online }} AND ({{ def }} <> 'B' OR coalesce({{ muc_do }} IN (3, 4), false)))
{%- endmacro %}

{% macro in_denominator(def, channel, muc_do) -%}
    (CASE {{ def }} WHEN 'B' THEN coalesce({{ muc_do }} IN (3, 4), false) WHEN 'C' THEN {{ channel }} IN (1, 2) ELSE true END)
{%- endmacro %}

{% macro definition_text(def) -%}
    (CASE {{ def }}
        WHEN 'A' THEN 'A: trực tuyến / tổng số tiếp nhận | online / all received'
        WHEN 'B' THEN 'B: trực tuyến / tiếp nhận của thủ tục có thể nộp trực tuyến (mức độ 3, 4) | online / received for online-capable procedures (MucDo 3, 4)'
        WHEN 'C' THEN 'C: trực tuyến / (trực tuyến + trực tiếp), không tính bưu chính công ích | online / (online + in person), postal left out'
        WHEN 'D' THEN 'D: A × tỷ lệ đồng bộ (hồ sơ đã đồng bộ lên Cổng DVCQG) | A x sync ratio (share of dossiers synced to the national portal)'
    END)
{%- endmacro %}

{#- num / den in percent, 2 decimals; null when den is 0. -#}
{% macro pct(num, den) -%}
    (CASE WHEN ({{ den }}) > 0 THEN round(100.0 * ({{ num }}) / ({{ den }}), 2)::DECIMAL(12, 2) END)
{%- endmacro %}

{#- Whether a published figure is the value recomputed from the records: percentages as published, to two
    decimals (within 0.005); counts and ranks exactly. -#}
{% macro same_figure(unit, published, value) -%}
    (CASE WHEN ({{ unit }}) = 'percent' THEN abs(({{ published }}) - ({{ value }})) < 0.005
          ELSE ({{ published }}) = ({{ value }}) END)
{%- endmacro %}
