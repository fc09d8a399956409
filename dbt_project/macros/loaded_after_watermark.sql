{#-
    The incremental filter of the bar models: rows whose `column` is after
    the newest `watermark` (default: the same column) already in this model;
    every row on the first run, when the table is empty. `loaded_at` is the
    time the warehouse numbered a load after it committed (ops.load_sequence,
    strictly increasing), never dlt's client clock: a load that commits after
    a build is numbered, and read, by the next. Cost grows with new
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
