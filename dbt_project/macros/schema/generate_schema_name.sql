{#-
    Use custom schemas verbatim (`staging`, `intermediate`, `marts`, `seeds`,
    `quality`) instead of dbt's default `<target_schema>_<custom>`: the
    schema names are contracts other tools (GX, TickStock) read. Dev and
    prod are separated by database, not by schema prefix.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
