{#-
    The incremental filter of the bar models: rows whose `column` is after
    the newest `watermark` (default: the same column) already in this model;
    every row on the first run, when the table is empty. Cost grows with new
    loads, not with history. The watermark is inlined as a literal when it can
    be (see planned_literal).
-#}
{% macro loaded_after_watermark(column='loaded_at', watermark=none) -%}
    {%- set expression -%}
        (
            select
                coalesce(
                    max(existing_rows.{{ watermark or column }}),
                    '-infinity'::timestamptz
                ) as watermark
            from {{ this }} as existing_rows
        )
    {%- endset -%}
    {{ column }} > {{ planned_literal(expression, 'timestamptz', [this]) }}
{%- endmacro %}
