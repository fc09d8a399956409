{#-
    The analytics marts keep state columns (running sums, window extremes,
    bar counts) so a daily build continues each symbol from its last stored
    row instead of re-reading its history.

    `continues_stored_state(columns)`: is_incremental(), and the table has
    every state column. A table built before they existed is rebuilt from
    the bars in that run (on_schema_change 'append_new_columns' adds the
    columns first): no manual --full-refresh on upgrade. In unit tests
    `this` is a fixture and is taken as it is.
-#}
{% macro continues_stored_state(columns) -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- for column in columns if column not in present -%}
        {{ log(this ~ ' has no state column ' ~ column ~ ': rebuilt from the bars', info=true) }}
        {{ return(false) }}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}


{#-
    Post-hook: an index on `columns` of this model's table unless one
    exists. dbt creates a model's configured indexes only with the table, so
    a table upgraded in place (see continues_stored_state) gets them here.
-#}
{% macro ensure_index(columns, unique=false) -%}
    {%- set wanted = columns | join(', ') -%}
    {%- set existing_sql -%}
        select count(*) from pg_index
        where
            indrelid = '{{ this.include(database=False) }}'::regclass
            and pg_get_indexdef(indexrelid) like '%({{ wanted }})'
    {%- endset -%}
    {%- if execute and run_query(existing_sql).columns[0].values()[0] == 0 -%}
        create {{ 'unique ' if unique }}index on {{ this }} ({{ wanted }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#-
    Post-hook: `analyze` after a build that wrote the whole table, or when
    the table was never analyzed (its first build); not after a daily run:
    sampling cost about 0.8 s a model (12,000 symbols x 1 year) to add a
    session's rows, which move no statistic the plans use. Autovacuum
    analyzes after large changes (a backfill, an upgrade's rebuild).
-#}
{% macro analyze_unless_daily() -%}
    {%- set analyzed_sql -%}
        select count(*) from pg_stat_user_tables
        where
            relid = '{{ this.include(database=False) }}'::regclass
            and coalesce(last_analyze, last_autoanalyze) is not null
    {%- endset -%}
    {%- if is_incremental() and execute and run_query(analyzed_sql).columns[0].values()[0] > 0 -%}
        select 1
    {%- else -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
