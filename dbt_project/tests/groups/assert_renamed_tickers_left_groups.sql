-- After a ticker change, groups and TickStock's cache name the listing by its
-- new ticker only: an old ticker left in a membership or in a cache entry's
-- member list means the rename was not carried through.

with

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

stale as (

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
        stale.relation,
        stale.entry,
        stale.symbol,
        renames.new_symbol

    from stale

    inner join renames
        on stale.symbol = renames.old_symbol

)

select * from final
