{#- The daily change log: each addition and removal the snapshot recorded. -#}
with

history as (

    select * from {{ ref('group_memberships_snapshot') }}

),

additions as (

    select
        group_id,
        group_type,
        group_name,
        symbol,
        'added' as change_type,
        dbt_valid_from as changed_at

    from history

),

removals as (

    select
        group_id,
        group_type,
        group_name,
        symbol,
        'removed' as change_type,
        dbt_valid_to as changed_at

    from history

    where dbt_valid_to is not null

),

changes as (

    select * from additions
    union all
    select * from removals

),

final as (

    select
        changed_at::timestamptz as changed_at,
        group_id,
        group_type,
        group_name,
        symbol,
        change_type,
        (changed_at at time zone 'America/New_York')::date as change_date

    from changes

)

select * from final
