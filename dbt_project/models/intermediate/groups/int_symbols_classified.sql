{#-
    Every symbol the groups know of, with whether it is a fund, its market
    cap (ticker details first, else the largest a universe file gives) and
    its sector.
-#}
with

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

equity_types as (

    select * from {{ ref('dim_equity_types') }}

),

group_lines as (

    select * from {{ ref('int_group_lines_current') }}

),

etf_metadata as (

    select * from {{ ref('etf_metadata') }}

),

ticker_details as (

    select * from {{ ref('int_symbols_detailed') }}

),

sectors as (

    select * from {{ ref('int_symbols_sectored') }}

),

fund_symbols as (

    select tickers.symbol from tickers
    inner join equity_types
        on tickers.type_code = equity_types.type_code
    where equity_types.is_fund
    union
    select symbol from etf_metadata
    union
    select group_name from group_lines
    where group_type = 'ETF'

),

file_market_caps as (

    select
        symbol,
        max(market_cap) as market_cap

    from group_lines

    group by symbol

),

final as (

    select
        sectors.symbol,
        sectors.sector,
        sectors.industry,
        sectors.sector_source,
        fund_symbols.symbol is not null as is_fund,
        coalesce(ticker_details.market_cap, file_market_caps.market_cap) as market_cap,
        -- What marts.symbols shows: funds have no sector of their own.
        case when fund_symbols.symbol is null then sectors.sector end as stock_sector,
        case when fund_symbols.symbol is null then sectors.industry end as stock_industry

    from sectors

    left join fund_symbols
        on sectors.symbol = fund_symbols.symbol

    left join ticker_details
        on sectors.symbol = ticker_details.symbol

    left join file_market_caps
        on sectors.symbol = file_market_caps.symbol

)

select * from final
