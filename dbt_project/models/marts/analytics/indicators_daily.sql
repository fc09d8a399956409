{#-
    Technical indicators per symbol and session, on split-adjusted bars
    (returns on total-return closes), with TA-Lib's conventions: a warm-up
    row is null; EMA(N) starts at the symbol's N-th bar from the simple
    average of the first N closes; RSI and ATR start at bar 15 from the
    simple average of their first 14 changes; the MACD's fast EMA starts
    with its slow one, at bar 26, and the line is shown from bar 34, where
    its signal starts (see _analytics__docs.md).

    Periods count the symbol's own bars: a session it did not trade is
    skipped, as TA-Lib skips nothing it is not given.

    Incremental: a run recomputes, per symbol, the rows from the earliest bar
    delivered since the last build (normally the new session; earlier after a
    gap was filled), or every row when the symbol's adjustment factors
    changed (a split or dividend rewrites its adjusted history). It reads the
    252 bars before that point with their stored rows: the windows need them,
    and the recursive averages restart from the stored values (see
    create_recursive_average), so the numbers equal a full build's to the
    last bit. Cost grows with the new bars, not with history.

    Moving averages and the Bollinger deviation come from running sums of
    the closes (and their squares, gains, losses, true ranges) at a fixed
    numeric scale: a window's sum is the running sum less its value N bars
    earlier, exact whichever bar the sum started from, and one ordered pass
    replaces nine sliding windows.

    The 252-session high and low are sliding maxima computed in blocks of
    252 bars (van Herk / Gil-Werman): the max over [t - 251, t] is the
    greater of the block suffix from t - 251 and the block prefix up to t.
    Postgres would otherwise rescan 252 rows per row (14 s for 1M rows).

    Indexes: `date` for the latest session (factor check), year, month and
    day of it for GX's daily batches (as ohlcv_daily), `bar_loaded_at` and
    `computed_at` for the watermarks, `session_index` for the first rows.

    JIT is off for the build: LLVM spent 15 s compiling the hundreds of
    window expressions of one run (52 symbols x 2 years), longer than the
    run itself takes without it.
-#}
-- Jinja blocks here wrap whole CTEs and select items: no indent of their own.
-- sqlfluff:indentation:template_blocks_indent:False
{{
    config(
        materialized='incremental',
        unique_key=['symbol', 'date'],
        incremental_strategy='replace_by_key',
        on_schema_change='fail',
        indexes=[
            {'columns': ['symbol', 'date'], 'unique': true},
            {'columns': ['date']},
            {'columns': [
                '(extract(year from date))',
                '(extract(month from date))',
                '(extract(day from date))',
            ]},
            {'columns': ['bar_loaded_at']},
            {'columns': ['computed_at']},
            {'columns': ['session_index']},
        ],
        pre_hook=['set local jit = off', "set local work_mem = '128MB'"],
        post_hook='analyze {{ this }}',
    )
}}

{%- set lookback = 252 -%}

with

adjusted_bars as not materialized (

    -- Only the columns read: every window stage carries its input's rows.
    select
        symbol,
        date,
        high,
        low,
        close,
        volume,
        tr_close,
        split_factor,
        total_factor

    from {{ ref('ohlcv_daily_adjusted') }}

),

daily_bars as not materialized (

    select * from {{ ref('ohlcv_daily') }}

),

{% if is_incremental() %}

stored_rows as not materialized (

    select * from {{ this }}

),

delivered as (

    -- Bars of loads completed since the newest bar this table has seen.
    select
        symbol,
        min(date) as from_date

    from daily_bars

    where {{ loaded_after_watermark('loaded_at', 'bar_loaded_at') }}

    group by symbol

),

checked_rows as (

    -- Any new split or dividend changes the factors of a symbol's first
    -- bar or of its latest (whichever end the factors are anchored to).
    select
        symbol,
        date,
        split_factor,
        total_factor

    from stored_rows

    where
        session_index = 1
        or date = {{ planned_literal('(select max(date) from ' ~ this ~ ')', 'date', [this]) }}

),

refactored as (

    -- One index lookup per checked row (`limit 1` keeps it a nested loop),
    -- not a scan of every bar.
    select distinct
        checked_rows.symbol,
        '-infinity'::date as from_date

    from checked_rows

    cross join lateral (
        select
            adjusted_bars.split_factor,
            adjusted_bars.total_factor
        from adjusted_bars
        where
            adjusted_bars.symbol = checked_rows.symbol
            and adjusted_bars.date = checked_rows.date
        limit 1
    ) as current_bar

    where
        checked_rows.split_factor is distinct from current_bar.split_factor
        or checked_rows.total_factor is distinct from current_bar.total_factor

),

restarts as (

    select
        symbol,
        min(from_date) as from_date

    from (
        select * from delivered
        union all
        select * from refactored
    ) as changes

    group by symbol

),

work_bars as (

    select
        restarts.from_date,
        bars.*

    from restarts

    cross join lateral (
        (
            select * from adjusted_bars
            where
                adjusted_bars.symbol = restarts.symbol
                and adjusted_bars.date < restarts.from_date
            order by adjusted_bars.date desc
            limit {{ lookback }}
        )
        union all
        (
            select * from adjusted_bars
            where
                adjusted_bars.symbol = restarts.symbol
                and adjusted_bars.date >= restarts.from_date
        )
    ) as bars

),

last_stored_rows as (

    -- The stored row just before from_date: the recursive averages and OBV
    -- restart from it, and the bar count continues from it.
    select stored.*

    from restarts

    cross join lateral (
        select * from stored_rows
        where
            stored_rows.symbol = restarts.symbol
            and stored_rows.date < restarts.from_date
        order by stored_rows.date desc
        limit 1
    ) as stored

),

work_rows as (

    -- The last row before from_date carries its stored values (`prior_*`).
    select
        work_bars.*,
        work_bars.date < work_bars.from_date as is_prior,
        stored_rows.session_index as prior_session_index,
        stored_rows.ema_12 as prior_ema_12,
        stored_rows.ema_26 as prior_ema_26,
        stored_rows.ema_50 as prior_ema_50,
        stored_rows.macd_fast_ema_12 as prior_macd_fast_ema_12,
        stored_rows.macd_signal_9 as prior_macd_signal_9,
        stored_rows.rsi_avg_gain_14 as prior_rsi_avg_gain_14,
        stored_rows.rsi_avg_loss_14 as prior_rsi_avg_loss_14,
        stored_rows.atr_14 as prior_atr_14,
        stored_rows.obv as prior_obv

    from work_bars

    left join last_stored_rows as stored_rows
        on
            work_bars.symbol = stored_rows.symbol
            and work_bars.date = stored_rows.date

),

{% else %}

work_rows as (

    select
        adjusted_bars.*,
        '-infinity'::date as from_date,
        false as is_prior,
        null::integer as prior_session_index,
        null::double precision as prior_ema_12,
        null::double precision as prior_ema_26,
        null::double precision as prior_ema_50,
        null::double precision as prior_macd_fast_ema_12,
        null::double precision as prior_macd_signal_9,
        null::double precision as prior_rsi_avg_gain_14,
        null::double precision as prior_rsi_avg_loss_14,
        null::double precision as prior_atr_14,
        null::numeric as prior_obv

    from adjusted_bars

),

{% endif %}

loads as (

    select
        symbol,
        date,
        loaded_at

    from daily_bars

),

sequenced as (

    select
        *,
        row_number() over by_date as work_position,
        lag(close) over by_date as previous_close,
        lag(tr_close) over by_date as previous_tr_close

    from work_rows

    window by_date as (partition by symbol order by date)

),

indexed as (

    -- The symbol's bar count: continued from the stored rows, else from 1.
    select
        *,
        work_position + coalesce(
            max(prior_session_index - work_position) over (partition by symbol), 0
        ) as session_index

    from sequenced

),

changes as (

    select
        *,
        greatest(close - previous_close, 0) as gain,
        greatest(previous_close - close, 0) as loss,
        greatest(high, previous_close) - least(low, previous_close) as true_range,
        case
            when close > previous_close then volume
            when close < previous_close then -volume
            else 0
        end as signed_volume,
        (session_index - 1) / {{ lookback }} as block

    from indexed

),

running as (

    -- Running sums at a fixed scale: a window's sum is the running sum less
    -- its value N bars earlier, exact in numeric, whichever bar the sum
    -- started from (an incremental run starts it 252 bars back).
    select
        *,
        sum(close::numeric(38, 18)) over by_date as running_close,
        sum(close::numeric(38, 18) * close::numeric(38, 18)) over by_date
            as running_close_sq,
        sum(gain::numeric(38, 18)) over by_date as running_gain,
        sum(loss::numeric(38, 18)) over by_date as running_loss,
        sum(true_range::numeric(38, 18)) over by_date as running_true_range

    from changes

    window by_date as (
        partition by symbol order by date rows between unbounded preceding and current row
    )

),

windowed as (

    -- Means of the last N bars; used only where the symbol has N bars.
    select
        *,
        {%- for length in [12, 20, 26, 50, 200] %}
        (running_close - lag(running_close, {{ length }}, 0) over by_date) / {{ length }}
            as sma_{{ length }}_raw,
        {%- endfor %}
        -- Population variance: (N·Σx² − (Σx)²) / N².
        sqrt(
            (
                20 * (running_close_sq - lag(running_close_sq, 20, 0) over by_date)
                - (running_close - lag(running_close, 20, 0) over by_date)
                * (running_close - lag(running_close, 20, 0) over by_date)
            )
            / 400
        ) as stddev_20_raw,
        (running_gain - lag(running_gain, 14, 0) over by_date) / 14 as avg_gain_raw,
        (running_loss - lag(running_loss, 14, 0) over by_date) / 14 as avg_loss_raw,
        (running_true_range - lag(running_true_range, 14, 0) over by_date) / 14
            as avg_true_range_raw,
        lag(tr_close, 5) over by_date as tr_close_5,
        lag(tr_close, 21) over by_date as tr_close_21,
        lag(tr_close, 63) over by_date as tr_close_63,
        lag(tr_close, 252) over by_date as tr_close_252,
        max(high) over by_block_ascending as block_prefix_high,
        min(low) over by_block_ascending as block_prefix_low,
        max(high) over by_block_descending as block_suffix_high,
        min(low) over by_block_descending as block_suffix_low

    from running

    window
        by_date as (partition by symbol order by date),
        by_block_ascending as (partition by symbol, block order by date),
        by_block_descending as (partition by symbol, block order by date desc)

),

averaged as (

    select
        *,
        udf.recursive_average(close::double precision, 2.0 / 13, case
            when is_prior then prior_ema_12
            when session_index = 12 then sma_12_raw::double precision
        end) over by_date as ema_12_raw,
        udf.recursive_average(close::double precision, 2.0 / 27, case
            when is_prior then prior_ema_26
            when session_index = 26 then sma_26_raw::double precision
        end) over by_date as ema_26_raw,
        udf.recursive_average(close::double precision, 2.0 / 51, case
            when is_prior then prior_ema_50
            when session_index = 50 then sma_50_raw::double precision
        end) over by_date as ema_50_raw,
        -- TA-Lib's MACD starts its fast EMA with the slow one (bar 26),
        -- from the average of the 12 closes up to there.
        udf.recursive_average(close::double precision, 2.0 / 13, case
            when is_prior then prior_macd_fast_ema_12
            when session_index = 26 then sma_12_raw::double precision
        end) over by_date as macd_fast_ema_raw,
        udf.recursive_average(gain::double precision, 1.0 / 14, case
            when is_prior then prior_rsi_avg_gain_14
            when session_index = 15 then avg_gain_raw::double precision
        end) over by_date as rsi_avg_gain_raw,
        udf.recursive_average(loss::double precision, 1.0 / 14, case
            when is_prior then prior_rsi_avg_loss_14
            when session_index = 15 then avg_loss_raw::double precision
        end) over by_date as rsi_avg_loss_raw,
        udf.recursive_average(true_range::double precision, 1.0 / 14, case
            when is_prior then prior_atr_14
            when session_index = 15 then avg_true_range_raw::double precision
        end) over by_date as atr_raw,
        -- OBV starts at the first bar's volume; the last stored row carries
        -- it on (the earlier prior rows have no prior_obv).
        sum(case
            when is_prior then prior_obv
            when session_index = 1 then volume
            else signed_volume
        end) over by_date as obv_raw,
        case
            when session_index % {{ lookback }} = 0 then block_prefix_high
            else greatest(
                lag(block_suffix_high, {{ lookback - 1 }}) over by_date,
                block_prefix_high
            )
        end as high_252_raw,
        case
            when session_index % {{ lookback }} = 0 then block_prefix_low
            else least(
                lag(block_suffix_low, {{ lookback - 1 }}) over by_date,
                block_prefix_low
            )
        end as low_252_raw

    from windowed

    window by_date as (partition by symbol order by date)

),

macd_lines as (

    select
        *,
        macd_fast_ema_raw - ema_26_raw as macd_line_raw,
        avg(macd_fast_ema_raw - ema_26_raw) over (
            partition by symbol order by date rows between 8 preceding and current row
        ) as macd_line_sma_9_raw

    from averaged

),

signalled as (

    select
        *,
        udf.recursive_average(macd_line_raw, 2.0 / 10, case
            when is_prior then prior_macd_signal_9
            when session_index = 34 then macd_line_sma_9_raw
        end) over (partition by symbol order by date) as macd_signal_raw

    from macd_lines

),

final as (

    select
        ---------- keys
        signalled.symbol::text as symbol,
        signalled.date::date as date,
        signalled.session_index::integer as session_index,

        ---------- inputs
        signalled.close::double precision as close,
        signalled.tr_close::double precision as tr_close,

        ---------- moving averages
        case when signalled.session_index >= 20 then signalled.sma_20_raw end::double precision
            as sma_20,
        case when signalled.session_index >= 50 then signalled.sma_50_raw end::double precision
            as sma_50,
        case when signalled.session_index >= 200 then signalled.sma_200_raw end::double precision
            as sma_200,
        signalled.ema_12_raw as ema_12,
        signalled.ema_26_raw as ema_26,
        signalled.ema_50_raw as ema_50,

        ---------- MACD (12, 26, 9)
        case when signalled.session_index >= 34 then signalled.macd_line_raw end as macd_line,
        signalled.macd_signal_raw as macd_signal_9,
        signalled.macd_line_raw - signalled.macd_signal_raw as macd_histogram,
        signalled.macd_fast_ema_raw as macd_fast_ema_12,

        ---------- RSI 14 (Wilder)
        case
            when signalled.rsi_avg_gain_raw + signalled.rsi_avg_loss_raw is null then null
            -- TA-Lib's zero test: no movement at all reads 0.
            when abs(signalled.rsi_avg_gain_raw + signalled.rsi_avg_loss_raw) < 1e-14 then 0
            else
                100 * signalled.rsi_avg_gain_raw
                / (signalled.rsi_avg_gain_raw + signalled.rsi_avg_loss_raw)
        end::double precision as rsi_14,
        signalled.rsi_avg_gain_raw as rsi_avg_gain_14,
        signalled.rsi_avg_loss_raw as rsi_avg_loss_14,

        ---------- Bollinger bands (20, 2 population standard deviations)
        case
            when signalled.session_index >= 20 then signalled.sma_20_raw
        end::double precision as bollinger_middle_20,
        case
            when signalled.session_index >= 20
                then signalled.sma_20_raw + 2 * signalled.stddev_20_raw
        end::double precision as bollinger_upper_20,
        case
            when signalled.session_index >= 20
                then signalled.sma_20_raw - 2 * signalled.stddev_20_raw
        end::double precision as bollinger_lower_20,

        ---------- ATR 14 (Wilder), OBV
        signalled.atr_raw as atr_14,
        -- Trailing zeros of the volumes' scale dropped: 1500, not 1500.000000000.
        trim_scale(signalled.obv_raw)::numeric as obv,

        ---------- 252-session range
        case
            when signalled.session_index >= 252 then signalled.high_252_raw
        end::double precision as high_252,
        case
            when signalled.session_index >= 252 then signalled.low_252_raw
        end::double precision as low_252,
        case
            when signalled.session_index >= 252
                then
                    signalled.close::double precision
                    / nullif(signalled.high_252_raw, 0)::double precision - 1
        end::double precision as pct_from_high_252,
        case
            when signalled.session_index >= 252
                then
                    signalled.close::double precision
                    / nullif(signalled.low_252_raw, 0)::double precision - 1
        end::double precision as pct_from_low_252,

        ---------- returns on total-return closes
        {%- for sessions in [1, 5, 21, 63, 252] %}
            {%- set base = 'signalled.previous_tr_close' if sessions == 1
                else 'signalled.tr_close_' ~ sessions %}
        signalled.tr_close::double precision / nullif({{ base }}, 0)::double precision - 1
            as return_{{ sessions }}d,
        ln(signalled.tr_close::double precision / nullif({{ base }}, 0)::double precision)
            as log_return_{{ sessions }}d,
        {%- endfor %}

        ---------- lineage
        signalled.split_factor::numeric as split_factor,
        signalled.total_factor::numeric as total_factor,
        loads.loaded_at::timestamptz as bar_loaded_at,
        '{{ run_started_at.isoformat() }}'::timestamptz as computed_at

    from signalled

    inner join loads
        on
            signalled.symbol = loads.symbol
            and signalled.date = loads.date

    where signalled.date >= signalled.from_date

)

select * from final
