{#-
    The lifecycle state of every symbol ever listed: one row per symbol.

    Each EOD run passes `session_date`; the run's snapshot of the ticker list
    (listed and delisted as of that session) is compared with the state
    built by earlier runs. The first snapshot ever is the baseline: what it
    lists is known, not "new". Later:
    - a symbol seen for the first time is a listing (listed_session), or a
      rename when a known symbol with the same composite FIGI stops trading;
    - a known active symbol now inactive is a delisting (delisted_session).
    Symbols absent from the snapshot keep their row: history is never lost.
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
            null::boolean as is_active,
            null::date as first_seen_session,
            null::date as listed_session,
            null::date as delisted_session,
            null::text as renamed_from,
            null::text as renamed_to
        where false
    {% endif %}

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

final as (

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
                    then predecessors.symbol
            end
        )::text as renamed_from,
        coalesce(
            known.renamed_to,
            case
                when known.is_active and not listings.is_active
                    then successors.symbol
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

)

select * from final
