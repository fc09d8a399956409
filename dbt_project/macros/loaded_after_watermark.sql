{#-
    The incremental filter of the bar models: rows whose `column` is after
    the newest `watermark` (default: the same column) already in this model;
    every row on the first run, when the table is empty. Cost grows with new
    loads, not with history.
-#}
{% macro loaded_after_watermark(column='loaded_at', watermark=none) %}
    {{ column }} > (
        select
            coalesce(
                max(existing_rows.{{ watermark or column }}),
                '-infinity'::timestamptz
            ) as watermark
        from {{ this }} as existing_rows
    )
{% endmacro %}
