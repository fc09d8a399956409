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

    Incremental, two ways per symbol. A daily run (one new bar right after
    the symbol's last stored row, past the warm-ups) computes that bar from
    the stored row alone: the recursive averages and OBV take one step from
    its values, the running sums (state columns) add the bar, a window's
    sum subtracts the running sum stored N bars earlier, found by
    (symbol, session_index), and the 252-session high and low carry on;
    when the bar leaving the window held one, they are the extremes of the
    stored rows' bars still in the window (one index range, exact in
    numeric) and the new bar's. No history before the window is read, so the
    cost does not grow with it. Every other symbol (a gap filled, several
    new bars, a young symbol) recomputes its
    rows from the earliest new bar with the 252 bars before, continuing the
    stored values; when its adjustment factors changed (a split or
    dividend rewrites its adjusted history), every row. Both give a full
    build's numbers to the last bit: sums in numeric are exact, and each
    step is the same expression.

    A table built before the state columns existed is rebuilt from the bars
    by the next run (continues_stored_state), with no manual full refresh.

    Moving averages and the Bollinger deviation come from running sums of
    the closes (and their squares, gains, losses, true ranges) at a fixed
    numeric scale: a window's sum is the running sum less its value N bars
    earlier, exact whichever bar the sum started from, and one ordered pass
    replaces nine sliding windows.

    The 252-session high and low are sliding maxima computed in blocks of
    252 bars (van Herk / Gil-Werman): the max over [t - 251, t] is the
    greater of the block suffix from t - 251 and the block prefix up to t.
    Postgres would otherwise rescan 252 rows per row (14 s for 1M rows).

    Layout: rows are written in (date, symbol) order, by a full build as by
    the daily runs that append a session at a time, so the rows N sessions
    back that a daily run looks up for every symbol sit on a few pages of
    each session. A full build's rows grouped by symbol put each symbol's
    few looked-up rows on pages of their own: with 5 years of history (15 GB
    of marts beyond the page cache) a daily run read 119k pages for
    indicators alone.

    Indexes: `date` for the latest session (factor check), year, month and
    day of it for GX's daily batches (as ohlcv_daily), `bar_loaded_at` and
    `computed_at` for the watermarks, `session_index` for the first rows,
    (symbol, session_index) for the rows N bars earlier.

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
        on_schema_change='append_new_columns',
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
            {'columns': ['symbol', 'session_index']},
        ],
        pre_hook=['set local jit = off', "set local work_mem = '128MB'"],
        post_hook=[
            "{{ ensure_index(['symbol', 'session_index']) }}",
            '{{ analyze_unless_daily() }}',
        ],
    )
}}

{%- set lookback = 252 -%}
{#- State columns an incremental run continues from (see the header). -#}
{%- set state_columns = [
    'high', 'low', 'running_close', 'running_close_sq', 'window_high_252', 'window_low_252',
] -%}
{%- set incremental = continues_stored_state(state_columns) -%}
{#- The stored rows an appended bar reads: its close's running sums that
    many bars earlier (SMA, Bollinger), its total-return close (returns),
    and the bar leaving the 252-session window. -#}
{%- set offsets = [5, 20, 21, 50, 63, 200, lookback] -%}
{#- The last stored row's values a rebuilt symbol continues from. -#}
{%- set prior_columns = [
    'session_index', 'ema_12', 'ema_26', 'ema_50', 'macd_fast_ema_12', 'macd_signal_9',
    'rsi_avg_gain_14', 'rsi_avg_loss_14', 'atr_14', 'obv', 'running_close', 'running_close_sq',
] -%}

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

{% if incremental %}

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
    -- bar or of its latest (whichever end the factors are anchored to). A
    -- symbol with new bars has the bar of its last row before them checked
    -- below (read anyway), which covers the latest end.
    select
        symbol,
        date,
        split_factor,
        total_factor

    from stored_rows

    where
        session_index = 1
        or (
            date = {{ planned_literal('(select max(date) from ' ~ this ~ ')', 'date', [this]) }}
            and not exists (
                select from delivered
                where delivered.symbol = stored_rows.symbol
            )
        )

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

last_stored_rows as (

    -- The stored row just before from_date: the recursive averages, OBV,
    -- the running sums and the bar count continue from it.
    select
        restarts.from_date,
        stored.*

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

next_bars as (

    -- The last stored row's bar and the (at most two) bars after it.
    select
        last_stored_rows.symbol,
        last_stored_rows.date as prior_date,
        last_stored_rows.from_date,
        last_stored_rows.session_index as prior_session_index,
        last_stored_rows.ema_12 as prior_ema_12,
        last_stored_rows.ema_26 as prior_ema_26,
        last_stored_rows.ema_50 as prior_ema_50,
        last_stored_rows.macd_fast_ema_12 as prior_macd_fast_ema_12,
        last_stored_rows.macd_signal_9 as prior_macd_signal_9,
        last_stored_rows.rsi_avg_gain_14 as prior_rsi_avg_gain_14,
        last_stored_rows.rsi_avg_loss_14 as prior_rsi_avg_loss_14,
        last_stored_rows.atr_14 as prior_atr_14,
        last_stored_rows.obv as prior_obv,
        last_stored_rows.running_close as prior_running_close,
        last_stored_rows.running_close_sq as prior_running_close_sq,
        last_stored_rows.window_high_252 as prior_window_high_252,
        last_stored_rows.window_low_252 as prior_window_low_252,
        bars.date,
        bars.high,
        bars.low,
        bars.close,
        bars.volume,
        bars.tr_close,
        bars.split_factor,
        bars.total_factor,
        last_stored_rows.split_factor as prior_split_factor,
        last_stored_rows.total_factor as prior_total_factor,
        lag(bars.split_factor) over by_date as previous_split_factor,
        lag(bars.total_factor) over by_date as previous_total_factor,
        lag(bars.date) over by_date as previous_date,
        lag(bars.close) over by_date as previous_close,
        lag(bars.tr_close) over by_date as previous_tr_close,
        count(*) over (partition by last_stored_rows.symbol) as bars_read

    from last_stored_rows

    cross join lateral (
        select * from adjusted_bars
        where
            adjusted_bars.symbol = last_stored_rows.symbol
            and adjusted_bars.date >= last_stored_rows.date
        order by adjusted_bars.date
        limit 3
    ) as bars

    -- Past the warm-ups (EMA(50) starts at bar 50): every average continues.
    where last_stored_rows.session_index >= 50

    window by_date as (partition by last_stored_rows.symbol order by bars.date)

),

appended_bars as (

    -- Symbols whose one new bar directly follows their last stored row (a
    -- daily run): computed from that row, its bar and a few stored rows
    -- found by (symbol, session_index), without reading the history.
    select
        *,
        prior_session_index + 1 as session_index,
        {%- for offset in offsets %}
        prior_session_index + 1 - {{ offset }} as index_{{ offset }},
        {%- endfor %}
        greatest(close - previous_close, 0) as gain,
        greatest(previous_close - close, 0) as loss,
        greatest(high, previous_close) - least(low, previous_close) as true_range,
        case
            when close > previous_close then volume
            when close < previous_close then -volume
            else 0
        end as signed_volume

    from next_bars

    where
        bars_read = 2
        and previous_date = prior_date
        and date >= from_date
        and previous_split_factor = prior_split_factor
        and previous_total_factor = prior_total_factor

),

appended_lookups as (

    -- The stored rows N bars earlier: one index scan per symbol for all N.
    select
        appended_bars.*,
        looked_up.*

    from appended_bars

    cross join lateral (
        select
            {%- for offset in offsets %}
            {%- set at = 'filter (where stored_rows.session_index = appended_bars.index_' ~ offset ~ ')' %}
            max(stored_rows.running_close) {{ at }} as running_close_{{ offset }},
            max(stored_rows.running_close_sq) {{ at }} as running_close_sq_{{ offset }},
            max(stored_rows.tr_close) {{ at }} as tr_close_{{ offset }},
            max(stored_rows.high) {{ at }} as high_{{ offset }},
            max(stored_rows.low) {{ at }} as low_{{ offset }}{{ ',' if not loop.last }}
            {%- endfor %}
        from stored_rows
        where
            stored_rows.symbol = appended_bars.symbol
            and stored_rows.session_index = any(array[
                {%- for offset in offsets %}
                appended_bars.index_{{ offset }}{{ ',' if not loop.last }}
                {%- endfor %}
            ])
    ) as looked_up

),

appended_running as (

    select
        *,
        prior_running_close + close::numeric(38, 18) as running_close,
        prior_running_close_sq + close::numeric(38, 18) * close::numeric(38, 18)
            as running_close_sq,
        -- The bar leaving the 252-session window did not hold its extreme:
        -- the new extreme is the old one or the new bar's.
        index_{{ lookback }} < 1
        or (
            high_{{ lookback }} < prior_window_high_252
            and low_{{ lookback }} > prior_window_low_252
        ) as is_carried

    from appended_lookups

),

appended_extremes as (

    -- The 252-session high and low: carried on, or, when the bar leaving
    -- the window held one of them, the extremes of the stored rows still
    -- in it (one index range; numeric, so exactly a full build's) and the
    -- new bar's. The range is read only then (a one-time filter).
    select
        appended_running.*,
        case
            when is_carried then greatest(prior_window_high_252, high)
            else greatest(rescanned.window_high, high)
        end as high_252_raw,
        case
            when is_carried then least(prior_window_low_252, low)
            else least(rescanned.window_low, low)
        end as low_252_raw

    from appended_running

    left join lateral (
        select
            max(stored_rows.high) as window_high,
            min(stored_rows.low) as window_low
        from stored_rows
        where
            not appended_running.is_carried
            and stored_rows.symbol = appended_running.symbol
            and stored_rows.session_index > appended_running.index_{{ lookback }}
            and stored_rows.session_index < appended_running.session_index
    ) as rescanned on true

),

appended as (

    -- The columns of `signalled` below, for the appended bars.
    select
        symbol,
        date,
        session_index,
        high,
        low,
        close,
        tr_close,
        split_factor,
        total_factor,
        previous_tr_close,
        tr_close_5,
        tr_close_21,
        tr_close_63,
        tr_close_252,
        running_close,
        running_close_sq,
        {%- for length in [20, 50, 200] %}
        (running_close - coalesce(running_close_{{ length }}, 0)) / {{ length }}
            as sma_{{ length }}_raw,
        {%- endfor %}
        sqrt(
            (
                20 * (running_close_sq - coalesce(running_close_sq_20, 0))
                - (running_close - coalesce(running_close_20, 0))
                * (running_close - coalesce(running_close_20, 0))
            )
            / 400
        ) as stddev_20_raw,
        udf.recursive_average_step(prior_ema_12, close::double precision, 2.0 / 13, null)
            as ema_12_raw,
        udf.recursive_average_step(prior_ema_26, close::double precision, 2.0 / 27, null)
            as ema_26_raw,
        udf.recursive_average_step(prior_ema_50, close::double precision, 2.0 / 51, null)
            as ema_50_raw,
        udf.recursive_average_step(
            prior_macd_fast_ema_12, close::double precision, 2.0 / 13, null
        ) as macd_fast_ema_raw,
        udf.recursive_average_step(prior_rsi_avg_gain_14, gain::double precision, 1.0 / 14, null)
            as rsi_avg_gain_raw,
        udf.recursive_average_step(prior_rsi_avg_loss_14, loss::double precision, 1.0 / 14, null)
            as rsi_avg_loss_raw,
        udf.recursive_average_step(prior_atr_14, true_range::double precision, 1.0 / 14, null)
            as atr_raw,
        prior_obv + signed_volume as obv_raw,
        high_252_raw,
        low_252_raw,
        udf.recursive_average_step(
            prior_macd_fast_ema_12, close::double precision, 2.0 / 13, null
        )
        - udf.recursive_average_step(prior_ema_26, close::double precision, 2.0 / 27, null)
            as macd_line_raw,
        udf.recursive_average_step(
            prior_macd_signal_9,
            udf.recursive_average_step(
                prior_macd_fast_ema_12, close::double precision, 2.0 / 13, null
            )
            - udf.recursive_average_step(prior_ema_26, close::double precision, 2.0 / 27, null),
            2.0 / 10,
            null
        ) as macd_signal_raw

    from appended_extremes

),

rebuilt_restarts as materialized (

    -- Every other symbol: its rows from from_date, with the 252 bars before
    -- and its last stored row's values (`prior_*`). Materialized: the
    -- appended symbols are set aside before any bar is read.
    select
        restarts.symbol,
        -- The last row's bar has new factors: every row is rebuilt.
        case
            when
                prior_bar.split_factor is distinct from last_stored_rows.split_factor
                or prior_bar.total_factor is distinct from last_stored_rows.total_factor
                then '-infinity'::date
            else restarts.from_date
        end as from_date,
        last_stored_rows.date as prior_date,
        {%- for column in prior_columns %}
        last_stored_rows.{{ column }} as prior_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from restarts

    left join last_stored_rows
        on restarts.symbol = last_stored_rows.symbol

    left join lateral (
        select
            adjusted_bars.split_factor,
            adjusted_bars.total_factor
        from adjusted_bars
        where
            adjusted_bars.symbol = last_stored_rows.symbol
            and adjusted_bars.date = last_stored_rows.date
        limit 1
    ) as prior_bar on true

    where not exists (
        select from appended
        where appended.symbol = restarts.symbol
    )

),

work_rows as (

    select
        rebuilt_restarts.from_date,
        bars.*,
        bars.date < rebuilt_restarts.from_date as is_prior,
        {%- for column in prior_columns %}
        case
            when
                bars.date = rebuilt_restarts.prior_date
                and bars.date < rebuilt_restarts.from_date
                then rebuilt_restarts.prior_{{ column }}
        end as prior_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from rebuilt_restarts

    cross join lateral (
        (
            select * from adjusted_bars
            where
                adjusted_bars.symbol = rebuilt_restarts.symbol
                and adjusted_bars.date < rebuilt_restarts.from_date
            order by adjusted_bars.date desc
            limit {{ lookback }}
        )
        union all
        (
            select * from adjusted_bars
            where
                adjusted_bars.symbol = rebuilt_restarts.symbol
                and adjusted_bars.date >= rebuilt_restarts.from_date
        )
    ) as bars

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
        null::numeric as prior_obv,
        null::numeric as prior_running_close,
        null::numeric as prior_running_close_sq

    from adjusted_bars

),

{% endif %}

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
        {%- if incremental %}
        -- The running sums from the symbol's first bar: those of this run
        -- (from the first bar read) shifted onto the stored ones. Exact in
        -- numeric, so equal to a full build's.
        coalesce(
            max(
                case when is_prior then prior_running_close - running_close end
            ) over (partition by symbol),
            0
        ) as running_close_offset,
        coalesce(
            max(
                case when is_prior then prior_running_close_sq - running_close_sq end
            ) over (partition by symbol),
            0
        ) as running_close_sq_offset,
        {%- else %}
        0 as running_close_offset,
        0 as running_close_sq_offset,
        {%- endif %}
        udf.recursive_average(macd_line_raw, 2.0 / 10, case
            when is_prior then prior_macd_signal_9
            when session_index = 34 then macd_line_sma_9_raw
        end) over (partition by symbol order by date) as macd_signal_raw

    from macd_lines

),

computed as (

    -- The recomputed rows, then the appended ones (same columns).
    select
        symbol,
        date,
        session_index,
        high,
        low,
        close,
        tr_close,
        split_factor,
        total_factor,
        previous_tr_close,
        sma_20_raw,
        sma_50_raw,
        sma_200_raw,
        stddev_20_raw,
        ema_12_raw,
        ema_26_raw,
        ema_50_raw,
        macd_fast_ema_raw,
        rsi_avg_gain_raw,
        rsi_avg_loss_raw,
        atr_raw,
        obv_raw,
        high_252_raw,
        low_252_raw,
        macd_line_raw,
        macd_signal_raw,
        tr_close_5::double precision as tr_close_5,
        tr_close_21::double precision as tr_close_21,
        tr_close_63::double precision as tr_close_63,
        tr_close_252::double precision as tr_close_252,
        running_close + running_close_offset as running_close,
        running_close_sq + running_close_sq_offset as running_close_sq

    from signalled

    where date >= from_date

    {%- if incremental %}

    union all

    select
        symbol,
        date,
        session_index,
        high,
        low,
        close,
        tr_close,
        split_factor,
        total_factor,
        previous_tr_close,
        sma_20_raw,
        sma_50_raw,
        sma_200_raw,
        stddev_20_raw,
        ema_12_raw,
        ema_26_raw,
        ema_50_raw,
        macd_fast_ema_raw,
        rsi_avg_gain_raw,
        rsi_avg_loss_raw,
        atr_raw,
        obv_raw,
        high_252_raw,
        low_252_raw,
        macd_line_raw,
        macd_signal_raw,
        tr_close_5,
        tr_close_21,
        tr_close_63,
        tr_close_252,
        running_close,
        running_close_sq

    from appended
    {%- endif %}

),

{% if incremental %}

loads as (

    -- One index lookup per row, not a join the planner may hash over every
    -- bar of the history.
    select
        computed.symbol,
        computed.date,
        bar.loaded_at

    from computed

    cross join lateral (
        select daily_bars.loaded_at
        from daily_bars
        where
            daily_bars.symbol = computed.symbol
            and daily_bars.date = computed.date
        limit 1
    ) as bar

),

{% else %}

loads as (

    select
        symbol,
        date,
        loaded_at

    from daily_bars

),

{% endif %}

final as (

    select
        ---------- keys
        computed.symbol::text as symbol,
        computed.date::date as date,
        computed.session_index::integer as session_index,

        ---------- inputs
        computed.close::double precision as close,
        computed.tr_close::double precision as tr_close,

        ---------- moving averages
        case when computed.session_index >= 20 then computed.sma_20_raw end::double precision
            as sma_20,
        case when computed.session_index >= 50 then computed.sma_50_raw end::double precision
            as sma_50,
        case when computed.session_index >= 200 then computed.sma_200_raw end::double precision
            as sma_200,
        computed.ema_12_raw as ema_12,
        computed.ema_26_raw as ema_26,
        computed.ema_50_raw as ema_50,

        ---------- MACD (12, 26, 9)
        case when computed.session_index >= 34 then computed.macd_line_raw end as macd_line,
        computed.macd_signal_raw as macd_signal_9,
        computed.macd_line_raw - computed.macd_signal_raw as macd_histogram,
        computed.macd_fast_ema_raw as macd_fast_ema_12,

        ---------- RSI 14 (Wilder)
        case
            when computed.rsi_avg_gain_raw + computed.rsi_avg_loss_raw is null then null
            -- TA-Lib's zero test: no movement at all reads 0.
            when abs(computed.rsi_avg_gain_raw + computed.rsi_avg_loss_raw) < 1e-14 then 0
            else
                100 * computed.rsi_avg_gain_raw
                / (computed.rsi_avg_gain_raw + computed.rsi_avg_loss_raw)
        end::double precision as rsi_14,
        computed.rsi_avg_gain_raw as rsi_avg_gain_14,
        computed.rsi_avg_loss_raw as rsi_avg_loss_14,

        ---------- Bollinger bands (20, 2 population standard deviations)
        case
            when computed.session_index >= 20 then computed.sma_20_raw
        end::double precision as bollinger_middle_20,
        case
            when computed.session_index >= 20
                then computed.sma_20_raw + 2 * computed.stddev_20_raw
        end::double precision as bollinger_upper_20,
        case
            when computed.session_index >= 20
                then computed.sma_20_raw - 2 * computed.stddev_20_raw
        end::double precision as bollinger_lower_20,

        ---------- ATR 14 (Wilder), OBV
        computed.atr_raw as atr_14,
        -- Trailing zeros of the volumes' scale dropped: 1500, not 1500.000000000.
        trim_scale(computed.obv_raw)::numeric as obv,

        ---------- 252-session range
        case
            when computed.session_index >= 252 then computed.high_252_raw
        end::double precision as high_252,
        case
            when computed.session_index >= 252 then computed.low_252_raw
        end::double precision as low_252,
        case
            when computed.session_index >= 252
                then
                    computed.close::double precision
                    / nullif(computed.high_252_raw, 0)::double precision - 1
        end::double precision as pct_from_high_252,
        case
            when computed.session_index >= 252
                then
                    computed.close::double precision
                    / nullif(computed.low_252_raw, 0)::double precision - 1
        end::double precision as pct_from_low_252,

        ---------- returns on total-return closes
        {%- for sessions in [1, 5, 21, 63, 252] %}
            {%- set base = 'computed.previous_tr_close' if sessions == 1
                else 'computed.tr_close_' ~ sessions %}
        computed.tr_close::double precision / nullif({{ base }}, 0)::double precision - 1
            as return_{{ sessions }}d,
        ln(computed.tr_close::double precision / nullif({{ base }}, 0)::double precision)
            as log_return_{{ sessions }}d,
        {%- endfor %}

        ---------- state: what the next build continues from
        computed.high::numeric as high,
        computed.low::numeric as low,
        computed.running_close::numeric as running_close,
        computed.running_close_sq::numeric as running_close_sq,
        computed.high_252_raw::numeric as window_high_252,
        computed.low_252_raw::numeric as window_low_252,

        ---------- lineage
        computed.split_factor::numeric as split_factor,
        computed.total_factor::numeric as total_factor,
        loads.loaded_at::timestamptz as bar_loaded_at,
        '{{ run_started_at.isoformat() }}'::timestamptz as computed_at

    from computed

    inner join loads
        on
            computed.symbol = loads.symbol
            and computed.date = loads.date

)

select * from final

-- Written session by session (symbols in order within one), as daily runs
-- append them: the rows N sessions back that a daily run reads sit on a
-- few pages per session, however long the history (see the header).
order by date, symbol
