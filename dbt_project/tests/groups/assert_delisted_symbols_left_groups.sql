-- A delisted symbol is no member of any group and in no cache entry's member
-- list: scanners must not follow a symbol that no longer trades.

with

symbols as (

    select * from {{ ref('symbols') }}

),

memberships as (

    select * from {{ ref('group_memberships') }}

),

cache_entries as (

    select * from {{ ref('cache_entries') }}

),

cache_members as (

    -- Holdings are {"symbol", "weight"} objects, other lists plain tickers.
    select
        cache_entries.type,
        cache_entries.name,
        coalesce(members.member ->> 'symbol', members.member #>> '{}') as symbol

    from cache_entries

    cross join lateral jsonb_array_elements(cache_entries.value) as members (member)

    where jsonb_typeof(cache_entries.value) = 'array'

),

listed as (

    select
        'group_memberships' as relation,
        memberships.group_id as entry,
        memberships.symbol

    from memberships

    union all

    select
        'cache_entries' as relation,
        cache_members.type || ':' || cache_members.name as entry,
        cache_members.symbol

    from cache_members

),

final as (

    select
        listed.relation,
        listed.entry,
        listed.symbol,
        symbols.delisted_at

    from listed

    inner join symbols
        on listed.symbol = symbols.symbol

    where symbols.active is false

)

select * from final
