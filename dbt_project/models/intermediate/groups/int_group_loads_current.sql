{#-
    The latest event of a group names its current batch: a load event its
    own batch, a rollback event the batch it restored (the loader writes it).
-#}
with

load_events as (

    select * from {{ ref('stg_holdings__load_events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by group_type, group_name
            order by recorded_at desc, event_id desc
        ) as recency,
        max(recorded_at) over (
            partition by group_type, group_name
        ) as last_updated

    from load_events

),

final as (

    select
        group_type,
        group_name,
        batch_id,
        action as last_action,
        checksum,
        source_file,
        layout,
        as_of_date,
        row_count,
        weight_total,
        last_updated

    from ranked

    where recency = 1

)

select * from final
