{#-
    Anomalies in daily bars: they stay in `marts.ohlcv_daily` and are marked
    here, one row per (symbol, date, kind). Each run re-evaluates only the
    last `quality_flag_sessions` sessions up to the as-of session (the
    pre-hook clears that window first, so a flag whose cause was fixed by a
    backfill disappears); older flags are kept as they were.

    Kinds (thresholds are dbt vars, see dbt_project.yml):
    - price_jump: |close / previous close - 1| above `quality_max_abs_return`,
      both closes split-adjusted by the bars' `split_factor` (the factors
      int_adjustment_factors derives from the landed splits), so a split
      day is no jump while a bad print still is.
    - volume_spike: volume above `quality_volume_spike_multiple` times the
      median volume of the previous `quality_volume_baseline_bars` bars.
    - stale_price: close unchanged for `quality_stale_sessions` bars in a row.
    - fmv_deviation: a thin ETF (average volume below
      `quality_thin_etf_volume`) whose close is more than
      `quality_fmv_max_deviation` away from its fair market value.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['symbol', 'date', 'kind'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        indexes=[{'columns': ['symbol', 'date', 'kind'], 'unique': true}],
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where date
            between {{ quality_window_start(var('quality_flag_sessions')) }}
            and {{ quality_as_of_session() }}{% endif %}"
        ],
    )
}}

{%- set baseline_bars = var('quality_volume_baseline_bars') -%}
{%- set stale_sessions = var('quality_stale_sessions') %}

-- depends_on: {{ ref('int_adjustment_factors') }}

with

symbols as (

    select * from {{ ref('symbols') }}

),

equity_types as (

    select * from {{ ref('dim_equity_types') }}

),

window_bounds as (

    select
        {{ quality_window_start(var('quality_flag_sessions')) }}
            as flag_start_date

),

bars_read as (

    -- Bounds as scalar subqueries, so the read is a range scan of the date index.
    select * from {{ ref('ohlcv_daily') }}

    where
        date
        between {{ quality_window_start(
            var('quality_flag_sessions') + baseline_bars + stale_sessions
        ) }}
        and {{ quality_as_of_session() }}

),

bar_windows as (

    select
        symbol,
        date,
        close,
        volume,
        fmv,
        close * split_factor as adjusted_close,
        lag(close * split_factor) over by_symbol as previous_adjusted_close,
        count(*) over stale_run as stale_run_bars,
        min(close) over stale_run as stale_run_min_close,
        max(close) over stale_run as stale_run_max_close,
        avg(volume) over baseline as baseline_avg_volume,
        min(volume) over baseline as baseline_min_volume,
        count(*) over baseline as baseline_bars_read

    from bars_read

    window
        by_symbol as (partition by symbol order by date),
        stale_run as (
            partition by symbol order by date
            rows between {{ stale_sessions - 1 }} preceding and current row
        ),
        baseline as (
            partition by symbol order by date
            rows between {{ baseline_bars }} preceding and 1 preceding
        )

),

bars_in_window as (

    select bar_windows.*

    from bar_windows

    cross join window_bounds

    where bar_windows.date >= window_bounds.flag_start_date

),

volume_baselines as (

    -- Postgres has no windowed median: one index range scan per candidate bar.
    select
        bars_in_window.symbol,
        bars_in_window.date,
        baseline.median_volume,
        baseline.bars

    from bars_in_window

    -- A lateral subquery: a CTE cannot see the outer bar.
    cross join
        lateral (  -- noqa: ST05
            select
                percentile_cont(0.5) within group (
                    order by prior_bars.volume
                ) as median_volume,
                count(*) as bars
            from (
                select earlier.volume
                -- the table itself, not a CTE: the (symbol, date) index serves it
                from {{ ref('ohlcv_daily') }} as earlier
                where
                    earlier.symbol = bars_in_window.symbol
                    and earlier.date < bars_in_window.date
                order by earlier.date desc
                limit {{ baseline_bars }}
            ) as prior_bars
        ) as baseline

    -- Only a bar that could be a spike needs its median. When the window
    -- holds the whole baseline, the median is at least the baseline's
    -- minimum, so a bar at most `multiple` times that minimum is no spike.
    where
        bars_in_window.baseline_bars_read < {{ baseline_bars }}
        or bars_in_window.volume
        > {{ var('quality_volume_spike_multiple') }}
        * bars_in_window.baseline_min_volume

),

price_jumps as (

    select
        symbol,
        date,
        'price_jump' as kind,
        adjusted_close / previous_adjusted_close - 1 as measured_value,
        {{ var('quality_max_abs_return') }} as threshold

    from bars_in_window

    where
        previous_adjusted_close > 0
        and abs(adjusted_close / previous_adjusted_close - 1)
        > {{ var('quality_max_abs_return') }}

),

volume_spikes as (

    select
        bars_in_window.symbol,
        bars_in_window.date,
        'volume_spike' as kind,
        bars_in_window.volume / volume_baselines.median_volume::numeric
            as measured_value,
        {{ var('quality_volume_spike_multiple') }} as threshold

    from bars_in_window

    inner join volume_baselines
        on
            bars_in_window.symbol = volume_baselines.symbol
            and bars_in_window.date = volume_baselines.date

    where
        volume_baselines.bars = {{ baseline_bars }}
        and volume_baselines.median_volume > 0
        and bars_in_window.volume
        > {{ var('quality_volume_spike_multiple') }}
        * volume_baselines.median_volume::numeric

),

stale_prices as (

    select
        symbol,
        date,
        'stale_price' as kind,
        close as measured_value,
        {{ stale_sessions }} as threshold

    from bars_in_window

    where
        stale_run_bars = {{ stale_sessions }}
        and stale_run_min_close = stale_run_max_close

),

fmv_deviations as (

    select
        bars_in_window.symbol,
        bars_in_window.date,
        'fmv_deviation' as kind,
        abs(bars_in_window.close - bars_in_window.fmv) / bars_in_window.fmv
            as measured_value,
        {{ var('quality_fmv_max_deviation') }} as threshold

    from bars_in_window

    inner join symbols
        on bars_in_window.symbol = symbols.symbol

    inner join equity_types
        on symbols.type = equity_types.type_code

    where
        equity_types.fetch_etf_details
        and bars_in_window.fmv > 0
        and bars_in_window.baseline_avg_volume
        < {{ var('quality_thin_etf_volume') }}
        and abs(bars_in_window.close - bars_in_window.fmv) / bars_in_window.fmv
        > {{ var('quality_fmv_max_deviation') }}

),

flags as (

    select * from price_jumps
    union all
    select * from volume_spikes
    union all
    select * from stale_prices
    union all
    select * from fmv_deviations

),

final as (

    select
        symbol::text as symbol,
        date::date as date,  -- noqa: RF04
        kind::text as kind,
        threshold::numeric as threshold,
        round(measured_value::numeric, 6) as measured_value

    from flags

)

select * from final
