{#-
    Assets under management of each fund type that gets ETF details
    (equity_types.fetch_etf_details), measured from Polygon: its shares
    outstanding (ticker details, refreshed by the EOD at least every 20
    sessions: lifecycle.ticker_details_due) times its latest close. One index descent per fund for the
    close, so the cost does not grow with history.
-#}
with

ticker_details as (

    select * from {{ ref('stg_polygon__ticker_details') }}

),

equity_types as (

    select * from {{ ref('dim_equity_types') }}

),

funds as (

    select
        ticker_details.symbol,
        ticker_details.share_class_shares_outstanding as shares_outstanding

    from ticker_details

    inner join equity_types
        on ticker_details.type_code = equity_types.type_code

    where
        equity_types.fetch_etf_details
        and ticker_details.share_class_shares_outstanding > 0

),

final as (

    select
        funds.symbol,
        funds.shares_outstanding,
        latest_bar.close,
        latest_bar.date as close_date,
        round(funds.shares_outstanding * latest_bar.close / 1000000, 1)
            as aum_millions

    from funds

    -- A lateral subquery: the newest bar of each fund via the (symbol, date) index.
    cross join lateral (  -- noqa: ST05
        select
            bars.close,
            bars.date
        from {{ ref('ohlcv_daily') }} as bars
        where bars.symbol = funds.symbol
        order by bars.date desc
        limit 1
    ) as latest_bar

)

select * from final
