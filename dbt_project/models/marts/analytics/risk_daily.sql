{#-
    Risk per symbol and session, from the total-return closes and daily
    returns of indicators_daily: realized volatility, beta and correlation
    to SPY and to the symbol's sector ETF (seed sector_etfs), Sharpe ratio
    and maximum drawdown (formulas in _analytics__docs.md).

    Windows are sums kept in numeric (exact, and Postgres slides a numeric
    sum by adding the new row and removing the old one, where a float sum
    is recomputed over the whole frame for every row). The returns get a
    fixed scale (18 places, far below their float precision): with mixed
    scales Postgres cannot remove a row whose scale is the largest in the
    frame and recomputes the frame instead, 14 times slower here. Beta and correlation
    come from the sums of x, y, xy, x² and y² over the pairs.

    Incremental: rows are recomputed from the earliest indicator row
    rebuilt since the last run, per symbol; when SPY's or a sector ETF's
    rows were rebuilt, the rows of every symbol measured against it from
    that date too. The 252 rows before are read for the windows.

    The maximum drawdown over a 252-session window is computed in blocks of
    252 bars: a window spans the end of one block and the start of the
    next, and its drawdown is the largest of the drawdown within the first
    part (a suffix of its block), within the second (a prefix of its block),
    and from the first part's peak to the second part's trough.

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
            {'columns': ['indicators_computed_at']},
        ],
        pre_hook=['set local jit = off', "set local work_mem = '128MB'"],
        post_hook='analyze {{ this }}',
    )
}}

{%- set window = 252 -%}
{%- set market = var('risk_market_benchmark') -%}

with

indicators as not materialized (

    select * from {{ ref('indicators_daily') }}

),

symbols as (

    select * from {{ ref('symbols') }}

),

sector_etfs as (

    select * from {{ ref('sector_etfs') }}

),

benchmarks as (

    select
        symbols.symbol,
        sector_etfs.etf as sector_etf

    from symbols

    left join sector_etfs
        on symbols.sector = sector_etfs.sector

),

benchmark_returns as materialized (

    -- The market's and the sector ETFs' daily returns, read by symbol
    -- through the index: a dozen series, hashed once for the pairing.
    select
        benchmark_symbols.symbol,
        benchmark_rows.date,
        benchmark_rows.return_1d::numeric(38, 18) as benchmark_return

    from (
        select '{{ market }}' as symbol
        union
        select sector_etfs.etf from sector_etfs
    ) as benchmark_symbols

    cross join lateral (
        select
            indicators.date,
            indicators.return_1d
        from indicators
        where indicators.symbol = benchmark_symbols.symbol
        order by indicators.date
    ) as benchmark_rows

),

{% if is_incremental() %}

rebuilt as (

    select
        symbol,
        min(date) as from_date

    from indicators

    where {{ loaded_after_watermark('computed_at', 'indicators_computed_at') }}

    group by symbol

),

rebuilt_benchmarks as (

    select * from rebuilt

    where
        symbol = '{{ market }}'
        or symbol in (select sector_etfs.etf from sector_etfs)

),

measured_against_rebuilt as (

    -- Every symbol measured against a rebuilt benchmark, from its date.
    select
        indicators.symbol,
        min(indicators.date) as from_date

    from rebuilt_benchmarks

    inner join indicators
        on indicators.date >= rebuilt_benchmarks.from_date

    left join benchmarks
        on indicators.symbol = benchmarks.symbol

    where
        rebuilt_benchmarks.symbol = '{{ market }}'
        or rebuilt_benchmarks.symbol = benchmarks.sector_etf

    group by indicators.symbol

),

restarts as (

    select
        symbol,
        min(from_date) as from_date

    from (
        select * from rebuilt
        union all
        select * from measured_against_rebuilt
    ) as changes

    group by symbol

),

work_rows as (

    select
        restarts.from_date,
        rows_read.*

    from restarts

    cross join lateral (
        (
            select * from indicators
            where
                indicators.symbol = restarts.symbol
                and indicators.date < restarts.from_date
            order by indicators.date desc
            limit {{ window }}
        )
        union all
        (
            select * from indicators
            where
                indicators.symbol = restarts.symbol
                and indicators.date >= restarts.from_date
        )
    ) as rows_read

),

{% else %}

work_rows as (

    select
        indicators.*,
        '-infinity'::date as from_date

    from indicators

),

{% endif %}

paired as (

    select
        work_rows.symbol,
        work_rows.date,
        work_rows.from_date,
        work_rows.session_index,
        work_rows.computed_at,
        work_rows.tr_close,
        work_rows.return_1d::numeric(38, 18) as daily_return,
        work_rows.log_return_1d::numeric(38, 18) as daily_log_return,
        market.benchmark_return as market_return,
        benchmarks.sector_etf,
        sector.benchmark_return as sector_return,
        (work_rows.session_index - 1) / {{ window }} as block

    from work_rows

    left join benchmarks
        on work_rows.symbol = benchmarks.symbol

    left join benchmark_returns as market
        on
            market.symbol = '{{ market }}'
            and work_rows.date = market.date

    left join benchmark_returns as sector
        on
            benchmarks.sector_etf = sector.symbol
            and work_rows.date = sector.date

),

windowed as (

    select
        *,
        stddev_samp(daily_log_return) over (by_date rows between 19 preceding and current row)
            as log_return_stddev_20,
        stddev_samp(daily_log_return) over (by_date rows between 59 preceding and current row)
            as log_return_stddev_60,
        {%- for benchmark in ['market', 'sector'] %}
        count({{ benchmark }}_return) filter (where daily_return is not null)
            over last_year as {{ benchmark }}_pairs,
        sum(daily_return) filter (where {{ benchmark }}_return is not null)
            over last_year as {{ benchmark }}_sum_x,
        sum({{ benchmark }}_return) filter (where daily_return is not null)
            over last_year as {{ benchmark }}_sum_y,
        sum(daily_return * {{ benchmark }}_return) over last_year as {{ benchmark }}_sum_xy,
        sum(daily_return * daily_return) filter (where {{ benchmark }}_return is not null)
            over last_year as {{ benchmark }}_sum_xx,
        sum({{ benchmark }}_return * {{ benchmark }}_return) filter (
            where daily_return is not null
        ) over last_year as {{ benchmark }}_sum_yy,
        {%- endfor %}
        avg(daily_return) over last_year as mean_return_252,
        stddev_samp(daily_return) over last_year as return_stddev_252,
        max(tr_close) over by_block_ascending as block_prefix_peak,
        min(tr_close) over by_block_ascending as block_prefix_trough,
        max(tr_close) over by_block_descending as block_suffix_peak,
        min(tr_close) over by_block_descending as block_suffix_trough

    from paired

    window
        by_date as (partition by symbol order by date),
        last_year as (
            partition by symbol order by date
            rows between {{ window - 1 }} preceding and current row
        ),
        by_block_ascending as (partition by symbol, block order by date),
        by_block_descending as (partition by symbol, block order by date desc)

),

block_drawdowns as (

    select
        *,
        -- prefix: from the block's start to this row; suffix: from this row
        -- to the block's end.
        max(1 - tr_close / block_prefix_peak) over by_block_ascending as block_prefix_drawdown,
        max(1 - block_suffix_trough / tr_close) over by_block_descending
            as block_suffix_drawdown

    from windowed

    window
        by_block_ascending as (partition by symbol, block order by date),
        by_block_descending as (partition by symbol, block order by date desc)

),

drawdowns as (

    select
        *,
        case
            when session_index % {{ window }} = 0 then block_prefix_drawdown
            else greatest(
                lag(block_suffix_drawdown, {{ window - 1 }}) over by_date,
                block_prefix_drawdown,
                1 - block_prefix_trough / lag(block_suffix_peak, {{ window - 1 }}) over by_date
            )
        end as drawdown_raw

    from block_drawdowns

    window by_date as (partition by symbol order by date)

),

final as (

    select
        ---------- keys
        symbol::text as symbol,
        date::date as date,

        ---------- volatility (annualized, sample standard deviation)
        case
            when session_index >= 21 then log_return_stddev_20 * sqrt(252::numeric)
        end::double precision as volatility_20,
        case
            when session_index >= 61 then log_return_stddev_60 * sqrt(252::numeric)
        end::double precision as volatility_60,

        ---------- against the market and the sector
        {%- for benchmark, label in [('market', 'spy'), ('sector', 'sector')] %}
        case
            when
                session_index > {{ window }}
                and {{ benchmark }}_pairs >= {{ var('risk_min_benchmark_pairs') }}
                then (
                    {{ benchmark }}_pairs * {{ benchmark }}_sum_xy
                    - {{ benchmark }}_sum_x * {{ benchmark }}_sum_y
                )
                / nullif(
                    {{ benchmark }}_pairs * {{ benchmark }}_sum_yy
                    - {{ benchmark }}_sum_y * {{ benchmark }}_sum_y, 0
                )
        end::double precision as beta_{{ label }}_252,
        case
            when
                session_index > {{ window }}
                and {{ benchmark }}_pairs >= {{ var('risk_min_benchmark_pairs') }}
                then (
                    {{ benchmark }}_pairs * {{ benchmark }}_sum_xy
                    - {{ benchmark }}_sum_x * {{ benchmark }}_sum_y
                )
                / nullif(sqrt(
                    (
                        {{ benchmark }}_pairs * {{ benchmark }}_sum_xx
                        - {{ benchmark }}_sum_x * {{ benchmark }}_sum_x
                    )
                    * (
                        {{ benchmark }}_pairs * {{ benchmark }}_sum_yy
                        - {{ benchmark }}_sum_y * {{ benchmark }}_sum_y
                    )
                ), 0)
        end::double precision as correlation_{{ label }}_252,
        {%- endfor %}
        sector_etf::text as sector_etf,

        ---------- return per unit of risk, and the worst fall
        case
            when session_index > {{ window }}
                then
                    (mean_return_252 - {{ var('risk_free_rate') }}::numeric / 252)
                    / nullif(return_stddev_252, 0) * sqrt(252::numeric)
        end::double precision as sharpe_252,
        case
            when session_index >= {{ window }} then drawdown_raw
        end::double precision as max_drawdown_252,

        ---------- lineage
        computed_at::timestamptz as indicators_computed_at,
        '{{ run_started_at.isoformat() }}'::timestamptz as computed_at

    from drawdowns

    where date >= from_date

)

select * from final
