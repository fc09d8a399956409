{#-
    Each symbol's latest indicators and risk figures as one JSON object,
    the payload of its `indicators` cache entry. One index lookup per
    symbol (its newest row by (symbol, date)), not a scan of the history.
-#}
with

symbols as (

    select * from {{ ref('symbols') }}

),

indicators as not materialized (

    select * from {{ ref('indicators_daily') }}

),

risk as not materialized (

    select * from {{ ref('risk_daily') }}

),

latest as (

    select latest_row.*

    from symbols

    cross join lateral (
        select indicators.* from indicators
        where indicators.symbol = symbols.symbol
        order by indicators.date desc
        limit 1
    ) as latest_row

),

final as (

    select
        latest.symbol,
        latest.date as as_of_date,
        latest.computed_at,
        -- The recursive state and lineage stay in the warehouse.
        (
            to_jsonb(latest)
            - 'macd_fast_ema_12' - 'rsi_avg_gain_14' - 'rsi_avg_loss_14'
            - 'split_factor' - 'total_factor' - 'bar_loaded_at' - 'computed_at'
            - array[
                'high', 'low', 'running_close', 'running_close_sq',
                'window_high_252', 'window_low_252'
            ]
        )
        || coalesce(
            to_jsonb(risk) - 'symbol' - 'date' - 'indicators_computed_at' - 'computed_at'
            - array[
                'session_index', 'window_peak_252', 'window_trough_252', 'window_drawdown_252',
                'running_log_count', 'running_log_sum', 'running_log_sum_sq',
                'running_return_count', 'running_return_sum', 'running_return_sum_sq',
                'running_market_pairs', 'running_market_sum_x', 'running_market_sum_y',
                'running_market_sum_xy', 'running_market_sum_xx', 'running_market_sum_yy',
                'running_sector_pairs', 'running_sector_sum_x', 'running_sector_sum_y',
                'running_sector_sum_xy', 'running_sector_sum_xx', 'running_sector_sum_yy'
            ],
            '{}'::jsonb
        ) as payload

    from latest

    left join risk
        on
            latest.symbol = risk.symbol
            and latest.date = risk.date

)

select * from final
