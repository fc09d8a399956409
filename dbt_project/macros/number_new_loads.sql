{#-
    Number the completed dlt loads of raw_polygon that have no number yet
    (ops.load_sequence; see its docs block). Run as an on-run-start hook, so
    every build numbers the loads committed before it starts and its models
    see exactly those. The table lock serializes two numberings; each new
    number's `numbered_at` is after every earlier one's, whatever the clock
    does. Nothing to do before the first load or before the ops migration.
-#}
{% macro number_new_loads() %}
    {%- if execute -%}
        {%- set loads = load_relation(source('polygon', '_dlt_loads')) -%}
        {%- set numbered = load_relation(source('ops', 'load_sequence')) -%}
        {%- if loads is not none and numbered is not none %}
            lock table {{ numbered }} in share row exclusive mode;
            insert into {{ numbered }} (load_id, numbered_at)
            select
                loads.load_id,
                greatest(
                    clock_timestamp(),
                    (select max(earlier.numbered_at) from {{ numbered }} as earlier)
                )
                + row_number() over (order by loads.inserted_at, loads.load_id)
                * interval '1 microsecond' as numbered_at
            from {{ loads }} as loads
            where
                loads.status = 0
                and not exists (
                    select from {{ numbered }} as done
                    where done.load_id = loads.load_id
                )
            order by loads.inserted_at, loads.load_id;
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
