{#-
    Risk per symbol and session, from the total-return closes and daily
    returns of indicators_daily: realized volatility, beta and correlation
    to SPY and to the symbol's sector ETF (seed sector_etfs), Sharpe ratio
    and maximum drawdown (formulas in _analytics__docs.md).

    Windows are sums kept in numeric: one running sum per summand (one
    ordered pass, one addition per row), and a window's sum is the running
    sum less its value the window's length earlier. Numeric addition is
    exact, so the difference is the window's sum to the last digit, whichever
    row the running sum started from: an incremental run starts it 252 rows
    back, a full build at the symbol's first row. The returns get a fixed
    scale (18 places, far below their float precision), so every sum has the
    same scale. Sliding numeric windows instead cost 13 sums over 252 rows
    with an inverse transition each (15 us a row, a third of the build).
    Beta and correlation come from the sums of x, y, xy, x² and y² over the
    pairs; the standard deviations from n, Σx and Σx².

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
{#- The summands of the running sums (name, summand, window lengths); the
    pair sums against each benchmark (x the symbol's return, y the
    benchmark's, each counted where both are) over the 252-session window. #}
{%- set sums = [
    ('log_count', '(daily_log_return is not null)::integer', [20, 60]),
    ('log_sum', 'daily_log_return', [20, 60]),
    ('log_sum_sq', 'daily_log_return * daily_log_return', [20, 60]),
    ('return_count', '(daily_return is not null)::integer', [window]),
    ('return_sum', 'daily_return', [window]),
    ('return_sum_sq', 'daily_return * daily_return', [window]),
] -%}
{%- set pair_sums = [
    ('pairs', '(daily_return is not null and {y} is not null)::integer'),
    ('sum_x', 'case when {y} is not null then daily_return end'),
    ('sum_y', 'case when daily_return is not null then {y} end'),
    ('sum_xy', 'daily_return * {y}'),
    ('sum_xx', 'case when {y} is not null then daily_return * daily_return end'),
    ('sum_yy', 'case when daily_return is not null then {y} * {y} end'),
] -%}
{%- for benchmark in ['market', 'sector'] -%}
{%- for name, summand in pair_sums -%}
{%- set pair_summand = summand.replace('{y}', benchmark ~ '_return') -%}
{%- do sums.append((benchmark ~ '_' ~ name, pair_summand, [none])) -%}
{%- endfor -%}
{%- endfor -%}
{#- (running sum, window length, name of the window's sum) -#}
{%- set window_sums = [] -%}
{%- for name, _, lengths in sums -%}
{%- for length in lengths -%}
{%- do window_sums.append((name, length or window, name ~ ('_' ~ length if length else ''))) -%}
{%- endfor -%}
{%- endfor -%}

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

    -- Every symbol measured against a rebuilt benchmark, from its date: one
    -- index range per benchmark (a dozen at most), each grouped apart, so
    -- the planner never multiplies the benchmarks by the symbols' rows.
    select
        measured.symbol,
        min(measured.from_date) as from_date

    from rebuilt_benchmarks

    cross join lateral (
        select
            indicators.symbol,
            min(indicators.date) as from_date
        from indicators
        left join benchmarks
            on indicators.symbol = benchmarks.symbol
        where
            indicators.date >= rebuilt_benchmarks.from_date
            and (
                rebuilt_benchmarks.symbol = '{{ market }}'
                or rebuilt_benchmarks.symbol = benchmarks.sector_etf
            )
        group by indicators.symbol
    ) as measured

    group by measured.symbol

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

running as (

    select
        {%- for name, summand, _ in sums %}
        coalesce(sum({{ summand }}) over by_date, 0) as running_{{ name }},
        {%- endfor %}
        paired.*

    from paired

    window by_date as (
        partition by symbol order by date rows between unbounded preceding and current row
    )

),

window_sums as (

    -- A window's sum: the running sum less its value the window's length
    -- earlier (exact in numeric, whichever row the running sum started at).
    select
        {%- for name, length, output in window_sums %}
        running_{{ name }} - lag(running_{{ name }}, {{ length }}, 0) over by_date as {{ output }},
        {%- endfor %}
        paired_columns.*

    from running as paired_columns

    window by_date as (partition by symbol order by date)

),

windowed as (

    -- Sample standard deviations and the mean from the window sums, in
    -- numeric: var = (n·Σx² − (Σx)²) / (n·(n − 1)).
    select
        *,
        {%- for length in [20, 60] %}
        case
            when log_count_{{ length }} > 1
                then sqrt(
                    (
                        log_count_{{ length }} * log_sum_sq_{{ length }}
                        - log_sum_{{ length }} * log_sum_{{ length }}
                    )
                    / (log_count_{{ length }} * (log_count_{{ length }} - 1))
                )
        end as log_return_stddev_{{ length }},
        {%- endfor %}
        return_sum_{{ window }} / nullif(return_count_{{ window }}, 0) as mean_return_252,
        case
            when return_count_{{ window }} > 1
                then sqrt(
                    (
                        return_count_{{ window }} * return_sum_sq_{{ window }}
                        - return_sum_{{ window }} * return_sum_{{ window }}
                    )
                    / (return_count_{{ window }} * (return_count_{{ window }} - 1))
                )
        end as return_stddev_252

    from window_sums

),

measures as (

    -- The figures from the window sums, and only the columns the drawdown
    -- still needs: its block windows sort narrow rows.
    select
        symbol,
        date,
        from_date,
        session_index,
        computed_at,
        tr_close,
        sector_etf,
        block,

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

        ---------- return per unit of risk
        case
            when session_index > {{ window }}
                then
                    (mean_return_252 - {{ var('risk_free_rate') }}::numeric / 252)
                    / nullif(return_stddev_252, 0) * sqrt(252::numeric)
        end::double precision as sharpe_252

    from windowed

),

blocks as (

    select
        *,
        max(tr_close) over by_block_ascending as block_prefix_peak,
        min(tr_close) over by_block_ascending as block_prefix_trough,
        max(tr_close) over by_block_descending as block_suffix_peak,
        min(tr_close) over by_block_descending as block_suffix_trough

    from measures

    window
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

    from blocks

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
        volatility_20,
        volatility_60,

        ---------- against the market and the sector
        beta_spy_252,
        correlation_spy_252,
        beta_sector_252,
        correlation_sector_252,
        sector_etf::text as sector_etf,

        ---------- return per unit of risk, and the worst fall
        sharpe_252,
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
