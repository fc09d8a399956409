{#-
    An index on `_dlt_load_id` of each raw bar table that exists. The bar
    marts read only the rows of loads completed since their watermark; with
    this index that read costs the new rows, not the whole append-only
    log. dlt creates no such index itself. Run as an on-run-start hook:
    `if not exists` makes it free once the index is there.
-#}
{% macro index_raw_bar_loads() %}
    {%- if execute -%}
        {%- for table_name in ['grouped_daily', 'aggs_daily', 'aggs_minute'] -%}
            {%- set existing = load_relation(source('polygon', table_name)) -%}
            {%- if existing is not none %}
                create index if not exists {{ table_name }}__dlt_load_id_idx
                    on {{ existing }} (_dlt_load_id);
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
