{#-
    Indexed for the relationship cache's Postgres fallback, which looks up
    one group's members or one symbol's groups.
-#}
{{
    config(
        indexes=[
            {'columns': ['group_type', 'group_name']},
            {'columns': ['group_type', 'symbol']},
        ],
    )
}}

with

members as (

    select * from {{ ref('int_group_members_unioned') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by group_type, group_name
            order by weight_pct desc nulls last, symbol asc
        ) as member_rank

    from members

),

final as (

    select
        ---------- ids
        group_type,
        group_name,
        symbol,
        source,

        ---------- membership
        weight_pct::numeric(12, 6) as weight,
        member_rank::integer as member_rank,

        ---------- key
        group_type || ':' || group_name as group_id

    from ranked

)

select * from final
