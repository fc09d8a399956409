{#-
    Incremental strategy `replace_by_key`: dbt's delete+insert, for a model
    whose new rows are already unique on its `unique_key`. dbt's own delete
    first deduplicates the new keys (`in (select distinct ...)`), hashing
    every new row once more. Joined directly, they are read once.

    A bulk load (at least as many new rows as the table holds, as in a
    backfill) drops the table's indexes, inserts, and builds them again:
    Postgres builds an index from sorted rows far faster than it inserts
    them one by one (docs/performance.md has the numbers). The same
    transaction holds it all, so readers wait for the new indexes rather than
    scan without them, a failure restores the old ones, and a duplicate key
    fails the unique index's rebuild.
-#}
{% macro get_incremental_replace_by_key_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set incoming = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set rebuilt_indexes = indexes_to_rebuild(target, incoming) -%}

    delete from {{ target }} as existing
    using {{ incoming }} as incoming
    where
        {%- for key in keys %}
            {% if not loop.first %}and {% endif %}existing.{{ key }} = incoming.{{ key }}
        {%- endfor %};

    {% for index in rebuilt_indexes -%}
        drop index {{ index['name'] }};
    {% endfor %}

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ incoming }};

    {% for index in rebuilt_indexes -%}
        {{ index['definition'] }};
    {% endfor %}
{%- endmacro %}


{#-
    The indexes of `target` to drop before inserting `incoming` and build
    again after: all of them (except those behind a constraint) when there
    are new rows and at least as many as the rows already there, by the
    planner's count (each model's post-hook analyzes; -1, never analyzed,
    counts as unknown). None otherwise: for the usual few new rows, keeping
    the indexes up is the cheap way.
-#}
{% macro indexes_to_rebuild(target, incoming) -%}
    {%- set target_oid = "'" ~ target.include(database=False) ~ "'::regclass" -%}
    {%- set indexes_sql -%}
        with sizes as (
            select
                (select count(*) from {{ incoming }}) as incoming_rows,
                (select reltuples from pg_class where oid = {{ target_oid }}) as existing_rows
        )

        select
            index_list.indexrelid::regclass::text as name,
            pg_get_indexdef(index_list.indexrelid) as definition
        from pg_index as index_list, sizes
        where
            index_list.indrelid = {{ target_oid }}
            and not exists (
                select from pg_constraint
                where pg_constraint.conindid = index_list.indexrelid
            )
            and sizes.incoming_rows > 0
            and sizes.existing_rows >= 0
            and sizes.incoming_rows >= sizes.existing_rows
        order by name
    {%- endset -%}
    {{ return(run_query(indexes_sql).rows) }}
{%- endmacro %}
