-- Groups and TickStock's cache name only tickers that trade: no membership and
-- no cache entry's member list names the old ticker of a rename (the new one
-- replaces it) or a delisted symbol (scanners must not follow it).

with

symbols as (

    select * from {{ ref('symbols') }}

),

renames as (

    select * from {{ ref('int_ticker_renames') }}

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

renamed as (

    select
        listed.relation,
        listed.entry,
        listed.symbol,
        'renamed to ' || renames.new_symbol as reason

    from listed

    inner join renames
        on listed.symbol = renames.old_symbol

),

delisted as (

    select
        listed.relation,
        listed.entry,
        listed.symbol,
        'delisted ' || coalesce(symbols.delisted_at::text, '') as reason

    from listed

    inner join symbols
        on listed.symbol = symbols.symbol

    where symbols.active is false

),

final as (

    select * from renamed
    union all
    select * from delisted

)

select * from final
