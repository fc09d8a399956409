{#-
    The lifecycle state of every symbol ever listed: one row per symbol.

    Each EOD run passes `session_date`; the run's snapshot of the ticker list
    (listed and delisted as of that session) is compared with the state
    built by earlier runs. The first snapshot ever is the baseline: what it
    lists is known, not "new". Later:
    - a symbol seen for the first time is a listing (listed_session), or a
      rename when a known symbol with the same composite FIGI stops trading,
      or when Polygon's ticker events record a change from a known symbol;
    - a known active symbol now inactive is a delisting (delisted_session),
      or the old side of a rename (renamed_to);
    - a known active symbol missing from the snapshot that a ticker event
      renamed is inactive from this session, renamed to its new ticker.
    Other symbols absent from the snapshot keep their row: history is never lost.
    full_refresh=false: the state cannot be rebuilt from the latest snapshot.
-#}
{{
    config(
        materialized='incremental',
        schema='lifecycle',
        unique_key='symbol',
        incremental_strategy='delete+insert',
        full_refresh=false,
        tags=['lifecycle'],
    )
}}

{%- set session = var('session_date', none) %}

with

listings as (

    select * from {{ ref('int_ticker_listings_as_of') }}

    {% if session %}
        where snapshot_session = '{{ session }}'::date
    {% elif is_incremental() %}
        -- No session given (say `tickstock load`): the state stays as it is.
        where false
    {% endif %}

),

known as (

    {% if is_incremental() %}
        select * from {{ this }}
    {% else %}
        select
            null::text as symbol,
            null::text as composite_figi,
            null::text as name,
            null::text as type_code,
            null::text as primary_exchange,
            null::boolean as is_active,
            null::timestamptz as delisted_at,
            null::date as last_seen_session,
            null::date as first_seen_session,
            null::date as listed_session,
            null::date as delisted_session,
            null::text as renamed_from,
            null::text as renamed_to
        where false
    {% endif %}

),

ticker_changes as (

    select * from {{ ref('int_ticker_changes') }}

    {% if session %}
        where change_date <= '{{ session }}'::date
    {% endif %}

),

snapshot as (

    -- Null when this run has no snapshot: then nothing can go missing.
    select max(snapshot_session) as snapshot_session

    from listings

),

baseline as (

    select not exists (select from known) as is_baseline

),

successors as (

    -- An active symbol sharing its composite FIGI with another one.
    select
        composite_figi,
        min(symbol) as symbol

    from listings

    where is_active and composite_figi is not null

    group by composite_figi

),

predecessors as (

    -- A known symbol that no longer trades under the same composite FIGI.
    select
        known.composite_figi,
        min(known.symbol) as symbol

    from known

    inner join listings
        on known.symbol = listings.symbol

    where not listings.is_active and known.composite_figi is not null

    group by known.composite_figi

),

event_predecessors as (

    -- A known symbol Polygon's ticker events say became another one.
    select
        ticker_changes.new_symbol as symbol,
        min(ticker_changes.old_symbol) as previous_symbol

    from ticker_changes

    inner join known
        on ticker_changes.old_symbol = known.symbol

    group by ticker_changes.new_symbol

),

event_successors as (

    select
        old_symbol as symbol,
        min(new_symbol) as next_symbol

    from ticker_changes

    group by old_symbol

),

listed as (

    select
        ---------- ids
        listings.symbol::text as symbol,
        listings.composite_figi::text as composite_figi,

        ---------- descriptors
        listings.name::text as name,
        listings.type_code::text as type_code,
        listings.primary_exchange::text as primary_exchange,

        ---------- state
        listings.is_active::boolean as is_active,
        listings.delisted_at::timestamptz as delisted_at,
        listings.snapshot_session::date as last_seen_session,

        ---------- lifecycle sessions
        coalesce(known.first_seen_session, listings.snapshot_session)::date
            as first_seen_session,
        (
            case
                when known.symbol is not null then known.listed_session
                when not baseline.is_baseline then listings.snapshot_session
            end
        )::date as listed_session,
        coalesce(
            known.delisted_session,
            case
                when known.is_active and not listings.is_active
                    then listings.snapshot_session
            end
        )::date as delisted_session,

        ---------- ticker changes
        coalesce(
            known.renamed_from,
            case
                when known.symbol is null and not baseline.is_baseline
                    then coalesce(predecessors.symbol, event_predecessors.previous_symbol)
            end
        )::text as renamed_from,
        coalesce(
            known.renamed_to,
            case
                when known.is_active and not listings.is_active
                    then coalesce(successors.symbol, event_successors.next_symbol)
            end
        )::text as renamed_to

    from listings

    cross join baseline

    left join known
        on listings.symbol = known.symbol

    left join successors
        on
            listings.composite_figi = successors.composite_figi
            and listings.symbol != successors.symbol

    left join predecessors
        on
            listings.composite_figi = predecessors.composite_figi
            and listings.symbol != predecessors.symbol

    left join event_predecessors
        on listings.symbol = event_predecessors.symbol

    left join event_successors
        on listings.symbol = event_successors.symbol

),

renamed_away as (

    -- Known and active, gone from today's list under a new ticker: kept, inactive.
    select
        known.symbol,
        known.composite_figi,
        known.name,
        known.type_code,
        known.primary_exchange,
        false as is_active,
        known.delisted_at,
        known.last_seen_session,
        known.first_seen_session,
        known.listed_session,
        snapshot.snapshot_session as delisted_session,
        known.renamed_from,
        event_successors.next_symbol as renamed_to

    from known

    cross join snapshot

    inner join event_successors
        on known.symbol = event_successors.symbol

    where
        known.is_active
        and snapshot.snapshot_session is not null
        and not exists (
            select from listings
            where listings.symbol = known.symbol
        )

),

final as (

    select * from listed
    union all
    select * from renamed_away

)

select * from final
