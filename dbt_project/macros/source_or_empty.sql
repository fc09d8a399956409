{#-
    A source table that dlt may not have created yet (it creates a table on
    its first load): selects the table when it exists, else an empty
    relation with the given typed columns, so `dbt build` works on a
    warehouse that has never loaded that endpoint.

    empty_columns: {column name: SQL type} of the empty stand-in; list every
    column the model reads. A column of the list that an existing table does
    not have yet (a column a later version lands, such as `data_source`, on a
    table landed before) reads as NULL of its type. Either way the relation
    is aliased as the table's name, so `select * from {{ source_or_empty(...) }}`
    needs no alias.
-#}
{% macro source_or_empty(source_name, table_name, empty_columns) %}
    {%- set table = source(source_name, table_name) -%}
    {%- set existing = none -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=table.database,
            schema=table.schema,
            identifier=table.identifier,
        ) -%}
    {%- endif -%}
    {%- set missing = [] -%}
    {%- if existing is not none -%}
        {%- set present = adapter.get_columns_in_relation(existing)
            | map(attribute='name') | map('lower') | list -%}
        {%- for name in empty_columns if name not in present -%}
            {%- do missing.append(name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if missing -%}
        (
            select
                *,
                {%- for name in missing %}
                    null::{{ empty_columns[name] }} as {{ name }}{{ "," if not loop.last }}
                {%- endfor %}
            from {{ table }}
        ) as {{ table_name }}
    {%- elif existing is not none or not execute -%}
        {{ table }} as {{ table_name }}
    {%- else -%}
        (
            select
                {%- for name, type in empty_columns.items() %}
                    null::{{ type }} as {{ name }}{{ "," if not loop.last }}
                {%- endfor %}
            where false
        ) as {{ table_name }}
    {%- endif -%}
{% endmacro %}
