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
            (
                select jsonb_object_agg(risk_field.key, risk_field.value)
                from jsonb_each(to_jsonb(risk)) as risk_field
                where
                    risk_field.key not in (
                        'symbol', 'date', 'indicators_computed_at', 'computed_at',
                        'session_index'
                    )
                    and risk_field.key not like 'running\_%'
                    and risk_field.key not like 'window\_%'
            ),
            '{}'::jsonb
        ) as payload

    from latest

    left join risk
        on
            latest.symbol = risk.symbol
            and latest.date = risk.date

)

select * from final
