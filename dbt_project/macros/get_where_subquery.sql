{#-
    dbt wraps the model every generic test reads in this macro (it applies a
    test's `where` config). Overridden so that, when the run passes the var
    `tested_loaded_after`, the tests of the bar marts read only the bars
    loaded after it: the EOD tests the bars it brought, at a cost that does
    not grow with history. The unique indexes keep (symbol, date) and
    (symbol, ts) unique across all rows. Without the var every row is tested.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- if config.get('where') -%}
        {%- do filters.append(config.get('where')) -%}
    {%- endif -%}
    {%- set tested_loaded_after = var('tested_loaded_after', none) -%}
    {%- if tested_loaded_after and relation.identifier in ('ohlcv_daily', 'ohlcv_1min') -%}
        {%- do filters.append(
            "loaded_at > '" ~ tested_loaded_after ~ "'::timestamptz"
        ) -%}
    {%- endif -%}
    {%- if filters -%}
        (select * from {{ relation }} where {{ filters | join(' and ') }}) as dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
