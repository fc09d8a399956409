{#-
    The symbols whose Polygon ticker details (market cap, SIC, type) the EOD
    fetches for its session (var `session_date`), after the lifecycle state
    is built:
    - `listed`: tracked symbols first seen on the session (a listing, or the
      new ticker of a rename), so they are classified on their first session;
    - `rotation`: the ceil(tracked / details_refresh_sessions) other tracked
      symbols whose details are the oldest (never fetched first). Each run
      takes the next slice, so every tracked symbol is refreshed within
      `details_refresh_sessions` sessions at a flat cost per run.
    Tracked: active, of a type with eod_update (lifecycle.symbol_processing).
-#}
{{ config(materialized='view', schema='lifecycle', tags=['lifecycle']) }}

{%- set session = var('session_date', none) %}

with

processing as (

    select * from {{ ref('symbol_processing') }}

),

lifecycle as (

    select * from {{ ref('symbol_lifecycle') }}

),

ticker_details as (

    select * from {{ ref('stg_polygon__ticker_details') }}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

details_fetched as (

    -- dlt merges details on the ticker: a row's load is its latest fetch.
    select
        ticker_details.symbol,
        max(dlt_loads.dlt_inserted_at) as details_fetched_at

    from ticker_details

    inner join dlt_loads
        on ticker_details.load_id = dlt_loads.load_id

    group by ticker_details.symbol

),

tracked as (

    select
        processing.symbol,
        details_fetched.details_fetched_at,
        {% if session -%}
            coalesce(lifecycle.listed_session = '{{ session }}'::date, false)
        {%- else -%}
            false
        {%- endif %} as is_new

    from processing

    inner join lifecycle
        on processing.symbol = lifecycle.symbol

    left join details_fetched
        on processing.symbol = details_fetched.symbol

    where processing.is_active and processing.eod_update

),

slice as (

    select ceil(count(*)::numeric / {{ var('details_refresh_sessions') }})::integer as slice_size

    from tracked

),

oldest_first as (

    select
        symbol,
        details_fetched_at,
        row_number() over (order by details_fetched_at asc nulls first, symbol asc) as age_rank

    from tracked

    where not is_new

),

listed as (

    select
        symbol,
        'listed' as reason,
        details_fetched_at

    from tracked

    where is_new

),

rotation as (

    select
        oldest_first.symbol,
        'rotation' as reason,
        oldest_first.details_fetched_at

    from oldest_first

    cross join slice

    where oldest_first.age_rank <= slice.slice_size

),

final as (

    select * from listed
    union all
    select * from rotation

)

select * from final
