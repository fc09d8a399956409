with

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

ticker_details as (

    select * from {{ ref('stg_polygon__ticker_details') }}

),

bar_loads as (

    select * from {{ ref('int_symbol_bar_loads') }}

),

classified as (

    select * from {{ ref('int_symbols_classified') }}

),

etf_metadata as (

    select * from {{ ref('etf_metadata') }}

),

measured_aum as (

    select * from {{ ref('int_etf_aum') }}

),

fund_aum as (

    -- Measured from Polygon (shares outstanding x close) when it can be, else the seed.
    select
        coalesce(measured_aum.symbol, etf_metadata.symbol) as symbol,
        coalesce(measured_aum.aum_millions, etf_metadata.aum_millions)::numeric(20, 4)
            as aum_millions

    from etf_metadata

    full outer join measured_aum
        on etf_metadata.symbol = measured_aum.symbol

),

correlated as (

    select * from {{ ref('int_symbols_correlated') }}

),

lifecycle as (

    select * from {{ ref('symbol_lifecycle') }}

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

symbol_loads as (

    select
        symbol,
        loaded_at

    from ticker_loads

    union all

    select
        symbol,
        first_loaded_at as loaded_at

    from bar_loads

    union all

    -- delisted symbols the lifecycle saw but today's ticker list omits
    select
        symbol,
        null::timestamptz as loaded_at

    from lifecycle

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

        ---------- ticker details (null until details are loaded)
        ticker_details.list_date,
        ticker_details.market_cap,

        ---------- classification (sector CSV, holdings files, SIC); none for funds
        classified.stock_sector as sector,
        classified.stock_industry as industry,

        ---------- ETF details (seed etf_metadata; AUM measured when it can be)
        etf_metadata.etf_type,
        fund_aum.aum_millions,
        etf_metadata.expense_ratio,
        etf_metadata.underlying_index,
        -- measured: the best-correlated benchmark over recent sessions
        correlated.correlation_reference,

        ---------- lifecycle (as of the latest EOD session), else today's list
        coalesce(lifecycle.is_active, tickers.is_active) as active,
        coalesce(lifecycle.delisted_at, tickers.delisted_at) as delisted_at,

        ---------- lineage: the first EOD session that listed the symbol
        coalesce(
            lifecycle.first_seen_session,
            (first_loads.first_loaded_at at time zone 'America/New_York')::date
        ) as initial_load_date

    from first_loads

    left join tickers
        on first_loads.symbol = tickers.symbol

    left join lifecycle
        on first_loads.symbol = lifecycle.symbol

    left join classified
        on first_loads.symbol = classified.symbol

    left join etf_metadata
        on first_loads.symbol = etf_metadata.symbol

    left join fund_aum
        on first_loads.symbol = fund_aum.symbol

    left join correlated
        on first_loads.symbol = correlated.symbol

    left join ticker_details
        on first_loads.symbol = ticker_details.symbol

)

select * from final
