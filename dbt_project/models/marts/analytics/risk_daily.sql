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
    that date too. A daily run (one new row right after the last stored
    one, same sector ETF) continues the stored state: the running sums add
    the row, a window's sum subtracts the running sum stored N rows earlier
    (found by (symbol, session_index)), and the 252-session peak, trough
    and drawdown carry on; when the session leaving the window held the
    peak or trough or began the largest fall, they come from the window's
    252 indicator rows (one index range, one ordered pass: each row's fall
    from the running peak). Other symbols read the 252
    rows before for the windows, continuing the stored sums; a new sector
    ETF restarts the symbol from its first row (its pair sums change).

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
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['symbol', 'date'], 'unique': true},
            {'columns': ['date']},
            {'columns': [
                '(extract(year from date))',
                '(extract(month from date))',
                '(extract(day from date))',
            ]},
            {'columns': ['indicators_computed_at']},
            {'columns': ['symbol', 'session_index']},
        ],
        pre_hook=['set local jit = off', "set local work_mem = '128MB'"],
        post_hook=[
            "{{ ensure_index(['symbol', 'session_index']) }}",
            '{{ analyze_unless_daily() }}',
        ],
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
{#- State columns an incremental run continues from (see the header). -#}
{%- set state_columns = ['session_index', 'window_peak_252', 'window_trough_252',
    'window_drawdown_252'] -%}
{%- for name, _, _ in sums -%}
{%- do state_columns.append('running_' ~ name) -%}
{%- endfor -%}
{%- set incremental = continues_stored_state(state_columns) -%}
{#- The window lengths an appended row looks back by. -#}
{%- set offsets = [20, 60, window] -%}

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

{% if incremental %}

stored_rows as not materialized (

    select * from {{ this }}

),

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
            -- A bound on both sides: with `>=` alone the planner takes a
            -- third of the table and scans the whole (symbol, date) index
            -- to skip a sort (6.5 s at 12,012 x 5 years, vacuumed).
            and indicators.date <= (select max(latest.date) from indicators as latest)
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

last_stored_rows as (

    -- The stored row just before from_date: the running sums, the window
    -- extremes and the drawdown continue from it.
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

next_rows as (

    -- The indicator row of the last stored row and the (at most two) after.
    select
        last_stored_rows.symbol,
        last_stored_rows.date as prior_date,
        rows_read.date,
        rows_read.session_index,
        rows_read.computed_at,
        rows_read.tr_close,
        rows_read.return_1d,
        rows_read.log_return_1d,
        lag(rows_read.date) over by_date as previous_date,
        count(*) over (partition by last_stored_rows.symbol) as rows_counted

    from last_stored_rows

    cross join lateral (
        select
            indicators.date,
            indicators.session_index,
            indicators.computed_at,
            indicators.tr_close,
            indicators.return_1d,
            indicators.log_return_1d
        from indicators
        where
            indicators.symbol = last_stored_rows.symbol
            and indicators.date >= last_stored_rows.date
        order by indicators.date
        limit 3
    ) as rows_read

    window by_date as (partition by last_stored_rows.symbol order by rows_read.date)

),

appended_rows as (

    -- Symbols whose one new row directly follows their last stored row,
    -- against the same sector ETF (a daily run): continued from that row
    -- and the stored rows the windows drop, found by (symbol, session_index).
    select
        next_rows.symbol,
        next_rows.date,
        prior.from_date,
        next_rows.session_index,
        next_rows.computed_at,
        next_rows.tr_close,
        next_rows.return_1d::numeric(38, 18) as daily_return,
        next_rows.log_return_1d::numeric(38, 18) as daily_log_return,
        market.benchmark_return as market_return,
        benchmarks.sector_etf,
        sector.benchmark_return as sector_return,
        (next_rows.session_index - 1) / {{ window }} as block,
        {%- for length in offsets %}
        next_rows.session_index - {{ length }} as index_{{ length }},
        {%- endfor %}
        {%- for name, _, _ in sums %}
        prior.running_{{ name }} as prior_running_{{ name }},
        {%- endfor %}
        prior.window_peak_252 as prior_window_peak_252,
        prior.window_trough_252 as prior_window_trough_252,
        prior.window_drawdown_252 as prior_window_drawdown_252

    from next_rows

    inner join last_stored_rows as prior
        on next_rows.symbol = prior.symbol

    left join benchmarks
        on next_rows.symbol = benchmarks.symbol

    -- The benchmarks' returns by index too: a join here was planned as a
    -- scan of every benchmark row per symbol.
    left join lateral (
        select indicators.return_1d::numeric(38, 18) as benchmark_return
        from indicators
        where
            indicators.symbol = '{{ market }}'
            and indicators.date = next_rows.date
        limit 1
    ) as market on true

    left join lateral (
        select indicators.return_1d::numeric(38, 18) as benchmark_return
        from indicators
        where
            indicators.symbol = benchmarks.sector_etf
            and indicators.date = next_rows.date
        limit 1
    ) as sector on true

    where
        next_rows.rows_counted = 2
        and next_rows.previous_date = next_rows.prior_date
        and next_rows.date >= prior.from_date
        and next_rows.session_index = prior.session_index + 1
        and benchmarks.sector_etf is not distinct from prior.sector_etf

),

appended_lookups as (

    -- The stored rows the windows drop: one index scan per symbol for all
    -- lengths; the indicator row leaving the 252-session window.
    select
        appended_rows.*,
        looked_up.*,
        leaving.tr_close as leaving_tr_close

    from appended_rows

    cross join lateral (
        select
            {%- for length in offsets %}
            {%- set at = 'filter (where stored_rows.session_index = appended_rows.index_' ~ length ~ ')' %}
            {%- for name, _, lengths in sums if length in lengths or (length == window and none in lengths) %}
            max(stored_rows.running_{{ name }}) {{ at }} as running_{{ name }}_{{ length }},
            {%- endfor %}
            {%- endfor %}
            count(*) as rows_looked_up
        from stored_rows
        where
            stored_rows.symbol = appended_rows.symbol
            and stored_rows.session_index = any(array[
                {%- for length in offsets %}
                appended_rows.index_{{ length }}{{ ',' if not loop.last }}
                {%- endfor %}
            ])
    ) as looked_up

    left join lateral (
        select indicators.tr_close
        from indicators
        where
            indicators.symbol = appended_rows.symbol
            and indicators.session_index = appended_rows.index_{{ window }}
        limit 1
    ) as leaving on true

),

appended_running as (

    select
        *,
        {%- for name, summand, _ in sums %}
        prior_running_{{ name }} + coalesce({{ summand }}, 0) as running_{{ name }},
        {%- endfor %}
        greatest(prior_window_peak_252, tr_close) as window_peak_252,
        least(prior_window_trough_252, tr_close) as window_trough_252,
        -- The session leaving the window held neither extreme nor began the
        -- largest fall (the falls from it reach at most the old trough):
        -- the figures carry on, with the falls that end today.
        index_{{ window }} < 1
        or (
            leaving_tr_close < prior_window_peak_252
            and leaving_tr_close > prior_window_trough_252
            and (
                1 - prior_window_trough_252 / leaving_tr_close < prior_window_drawdown_252
                or prior_window_drawdown_252 = 0
            )
        ) as is_carried

    from appended_lookups

),

appended as (

    select
        symbol,
        date,
        from_date,
        session_index,
        computed_at,
        tr_close,
        sector_etf,
        block,
        {%- for name, length, output in window_sums %}
        running_{{ name }} - coalesce(running_{{ name }}_{{ length }}, 0) as {{ output }},
        {%- endfor %}
        {%- for name, _, _ in sums %}
        running_{{ name }},
        {%- endfor %}
        true as is_appended,
        case
            when is_carried then window_peak_252
            else rescanned.window_peak
        end as appended_peak_252,
        case
            when is_carried then window_trough_252
            else rescanned.window_trough
        end as appended_trough_252,
        case
            when is_carried
                then greatest(prior_window_drawdown_252, 1 - tr_close / window_peak_252)
            else rescanned.window_drawdown
        end as appended_drawdown_252

    from appended_running

    -- The session leaving the window held the peak or trough or began the
    -- largest fall: the figures of the 252 indicator rows in the window
    -- (one index range), read only then (a one-time filter). The largest
    -- fall is the largest of each row's fall from the peak before it: the
    -- same pairs' `1 - later / earlier` as the blocks', so the same bits.
    left join lateral (
        select
            max(window_rows.tr_close) as window_peak,
            min(window_rows.tr_close) as window_trough,
            max(1 - window_rows.tr_close / window_rows.running_peak) as window_drawdown
        from (
            select
                indicators.tr_close,
                max(indicators.tr_close) over (order by indicators.session_index)
                    as running_peak
            from indicators
            where
                not appended_running.is_carried
                and indicators.symbol = appended_running.symbol
                and indicators.session_index > appended_running.index_{{ window }}
                and indicators.session_index <= appended_running.session_index
        ) as window_rows
    ) as rescanned on true

),

rebuilt_restarts as materialized (

    -- Every other symbol: its rows from from_date, with the 252 before and
    -- its last stored row's sums (`prior_*`); from its first row when its
    -- sector ETF changed (the pair sums restart). Materialized: the
    -- appended symbols are set aside before any row is read.
    select
        restarts.symbol,
        case
            when last_stored_rows.sector_etf is distinct from benchmarks.sector_etf
                then '-infinity'::date
            else restarts.from_date
        end as from_date,
        last_stored_rows.date as prior_date,
        {%- for name, _, _ in sums %}
        last_stored_rows.running_{{ name }} as prior_running_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}

    from restarts

    left join last_stored_rows
        on restarts.symbol = last_stored_rows.symbol

    left join benchmarks
        on restarts.symbol = benchmarks.symbol

    where not exists (
        select from appended
        where appended.symbol = restarts.symbol
    )

),

work_rows as (

    select
        rebuilt_restarts.from_date,
        rows_read.*,
        {%- for name, _, _ in sums %}
        case
            when
                rows_read.date = rebuilt_restarts.prior_date
                and rows_read.date < rebuilt_restarts.from_date
                then rebuilt_restarts.prior_running_{{ name }}
        end as prior_running_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}

    from rebuilt_restarts

    cross join lateral (
        (
            select * from indicators
            where
                indicators.symbol = rebuilt_restarts.symbol
                and indicators.date < rebuilt_restarts.from_date
            order by indicators.date desc
            limit {{ window }}
        )
        union all
        (
            select * from indicators
            where
                indicators.symbol = rebuilt_restarts.symbol
                and indicators.date >= rebuilt_restarts.from_date
        )
    ) as rows_read

),

{% else %}

work_rows as (

    select
        indicators.*,
        {%- for name, _, _ in sums %}
        null::numeric as prior_running_{{ name }},
        {%- endfor %}
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
        (work_rows.session_index - 1) / {{ window }} as block,
        {%- for name, _, _ in sums %}
        work_rows.prior_running_{{ name }},
        {%- endfor %}
        work_rows.date < work_rows.from_date as is_prior

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
        {%- for name, _, _ in sums %}
        {%- if incremental %}
        -- The running sums from the symbol's first row: this run's (from
        -- the first row read) shifted onto the stored ones, exactly.
        running_{{ name }} + coalesce(
            max(
                case when is_prior then prior_running_{{ name }} - running_{{ name }} end
            ) over by_symbol,
            0
        ) as state_running_{{ name }},
        {%- else %}
        running_{{ name }} as state_running_{{ name }},
        {%- endif %}
        {%- endfor %}
        paired_columns.*

    from running as paired_columns

    window
        by_date as (partition by symbol order by date),
        by_symbol as (partition by symbol)

),

all_sums as (

    -- The recomputed rows, then (incremental runs) the appended ones.
    select
        symbol,
        date,
        from_date,
        session_index,
        computed_at,
        tr_close,
        sector_etf,
        block,
        {%- for _, _, output in window_sums %}
        {{ output }},
        {%- endfor %}
        {%- for name, _, _ in sums %}
        state_running_{{ name }} as running_{{ name }},
        {%- endfor %}
        false as is_appended,
        null::double precision as appended_peak_252,
        null::double precision as appended_trough_252,
        null::double precision as appended_drawdown_252

    from window_sums

    {%- if incremental %}

    union all

    select * from appended
    {%- endif %}

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

    from all_sums

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
        {%- for name, _, _ in sums %}
        running_{{ name }},
        {%- endfor %}
        is_appended,
        appended_peak_252,
        appended_trough_252,
        appended_drawdown_252,

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

    -- Over the last min(n, 252) rows: the drawdown, and the peak and trough
    -- the next build carries (an appended row has them already).
    select
        *,
        case
            when is_appended then appended_drawdown_252
            when session_index % {{ window }} = 0 then block_prefix_drawdown
            else greatest(
                lag(block_suffix_drawdown, {{ window - 1 }}) over by_date,
                block_prefix_drawdown,
                1 - block_prefix_trough / lag(block_suffix_peak, {{ window - 1 }}) over by_date
            )
        end as drawdown_raw,
        case
            when is_appended then appended_peak_252
            when session_index % {{ window }} = 0 then block_prefix_peak
            else greatest(
                lag(block_suffix_peak, {{ window - 1 }}) over by_date, block_prefix_peak
            )
        end as peak_raw,
        case
            when is_appended then appended_trough_252
            when session_index % {{ window }} = 0 then block_prefix_trough
            else least(
                lag(block_suffix_trough, {{ window - 1 }}) over by_date, block_prefix_trough
            )
        end as trough_raw

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

        ---------- state: what the next build continues from
        session_index::integer as session_index,
        {%- for name, _, _ in sums %}
        running_{{ name }}::numeric as running_{{ name }},
        {%- endfor %}
        peak_raw::double precision as window_peak_252,
        trough_raw::double precision as window_trough_252,
        drawdown_raw::double precision as window_drawdown_252,

        ---------- lineage
        computed_at::timestamptz as indicators_computed_at,
        '{{ run_started_at.isoformat() }}'::timestamptz as computed_at

    from drawdowns

    where date >= from_date

)

select * from final

-- Written session by session, as daily runs append them (see
-- indicators_daily): the rows a daily run looks up stay on few pages.
order by date, symbol
