{#-
    The incremental filter of the bar models: rows loaded after the newest
    `loaded_at` already in this model (every row on the first run, when the
    table is empty). Cost grows with new loads, not with history.
-#}
{% macro loaded_after_watermark(column='loaded_at') %}
    {{ column }} > (
        select
            coalesce(
                max(existing_rows.{{ column }}), '-infinity'::timestamptz
            ) as watermark
        from {{ this }} as existing_rows
    )
{% endmacro %}
