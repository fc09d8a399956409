{#-
    The three raw bar logs (aggs_daily, grouped_daily, aggs_minute) share
    Polygon's bar fields; their staging models differ only in a flag or two
    and in which date the bar belongs to. These two macros say the shared
    part once.

    polygon_bars_source: the raw table (or its typed empty stand-in, see
    source_or_empty) with the shared columns plus `extra_columns`.
-#}
{% macro polygon_bars_source(table_name, extra_columns) %}
    {%- set columns = {
        'ticker': 'text',
        't': 'bigint',
        'o': 'numeric',
        'h': 'numeric',
        'l': 'numeric',
        'c': 'numeric',
        'v': 'numeric',
        'vw': 'numeric',
        'n': 'bigint',
        'otc': 'boolean',
    } -%}
    {%- do columns.update(extra_columns) -%}
    {%- do columns.update({'data_source': 'text', '_dlt_load_id': 'text'}) -%}
    {{ source_or_empty('polygon', table_name, columns) }}
{%- endmacro %}


{#- The shared fields, renamed: symbol, prices, activity, OTC flag, lineage. -#}
{% macro polygon_bar_fields() -%}
        ---------- ids
        ticker as symbol,

        ---------- prices
        o as open,
        h as high,
        l as low,
        c as close,
        vw as vwap,

        ---------- activity
        v as volume,
        n as transactions,

        ---------- flags
        otc as is_otc,

        ---------- lineage
        data_source,
        _dlt_load_id as load_id,
{%- endmacro %}
