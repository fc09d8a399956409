with

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

daily_bars as (

    select * from {{ ref('int_daily_bars_unioned') }}

),

completed_loads as (

    select
        load_id,
        loaded_at

    from dlt_loads

    where is_completed

),

ticker_loads as (

    select
        tickers.symbol,
        completed_loads.loaded_at

    from tickers

    inner join completed_loads
        on tickers.load_id = completed_loads.load_id

),

bar_loads as (

    select
        symbol,
        min(loaded_at) as loaded_at

    from daily_bars

    group by symbol

),

symbol_loads as (

    select
        symbol,
        loaded_at

    from ticker_loads

    union all

    select
        symbol,
        loaded_at

    from bar_loads

),

first_loads as (

    select
        symbol,
        min(loaded_at) as first_loaded_at

    from symbol_loads

    group by symbol

),

final as (

    select
        ---------- ids
        first_loads.symbol,

        ---------- reference (Polygon tickers; null for symbols only seen in bars)
        tickers.name,
        tickers.type_code as type,
        tickers.primary_exchange,
        tickers.is_active as active,
        tickers.delisted_at,

        ---------- not loaded yet: typed nulls that later issues fill
        -- list date and market cap come from ticker details
        null::date as list_date,
        null::numeric(20, 2) as market_cap,
        -- classification
        null::text as sector,
        null::text as industry,
        -- ETF details
        null::text as etf_type,
        null::numeric(20, 4) as aum_millions,
        null::numeric(10, 6) as expense_ratio,
        null::text as underlying_index,
        null::text as correlation_reference,

        ---------- lineage
        (
            first_loads.first_loaded_at at time zone 'America/New_York'
        )::date as initial_load_date

    from first_loads

    left join tickers
        on first_loads.symbol = tickers.symbol

)

select * from final
