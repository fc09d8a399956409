{#-
    A scalar SQL expression evaluated when the model runs and inlined as a
    literal of `type`, so Postgres plans with the real bound. A subquery's
    value is unknown when Postgres plans, so for `date >= (select ...)` it
    guesses a third of the table and scans all of it: a cost that grows with
    history. `relations` are what the expression reads; while one of them
    does not exist yet (a fresh warehouse), in unit tests (whose inputs are
    fixtures) and outside `dbt run` and `dbt build` (parsing, `compile`,
    `docs generate`) the expression stays SQL.
-#}
{% macro planned_literal(expression, type, relations) -%}
    {%- set running = execute and flags.WHICH in ('run', 'build') -%}
    {%- set state = namespace(ready=running and model.resource_type != 'unit_test') -%}
    {%- for relation in relations if state.ready -%}
        {%- if load_relation(relation) is none -%}
            {%- set state.ready = false -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state.ready -%}
        {%- set value = run_query('select ' ~ expression).columns[0].values()[0] -%}
        {%- if value is none -%}
            null::{{ type }}
        {%- else -%}
            '{{ value }}'::{{ type }}
        {%- endif -%}
    {%- else -%}
        {{ expression }}
    {%- endif -%}
{%- endmacro %}
