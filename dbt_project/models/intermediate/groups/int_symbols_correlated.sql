{#-
    correlation_reference: the benchmark (seed correlation_references) whose
    daily close-to-close returns correlate best with the symbol's over the
    market's last 120 sessions, from at least 20 common sessions. A benchmark
    is its own reference. Only those sessions' bars are read (one more for
    the first return), so the cost does not grow with history. A table: its
    tests and symbols read it without computing it again.
-#}
{{ config(materialized='table') }}

with

daily_bars as (

    select * from {{ ref('ohlcv_daily') }}

    where date >= {{ quality_window_start(121) }}

),

benchmarks as (

    select * from {{ ref('correlation_references') }}

),

returns as (

    select
        symbol,
        date as session_date,
        -- Double precision: corr() computes in it anyway, and converting each
        -- return once here beats converting it once per benchmark pair.
        close::double precision
        / nullif(lag(close::double precision) over (partition by symbol order by date), 0)
        - 1 as daily_return

    from daily_bars

),

recent_returns as (

    select * from returns

    where daily_return is not null

),

reference_returns as (

    select recent_returns.*

    from recent_returns

    inner join benchmarks
        on recent_returns.symbol = benchmarks.symbol

),

correlations as (

    select
        recent_returns.symbol,
        reference_returns.symbol as reference_symbol,
        corr(recent_returns.daily_return, reference_returns.daily_return) as return_correlation,
        count(*) as common_sessions

    from recent_returns

    inner join reference_returns
        on recent_returns.session_date = reference_returns.session_date

    group by recent_returns.symbol, reference_returns.symbol

    having count(*) >= 20

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol
            order by
                (symbol = reference_symbol) desc,
                return_correlation desc nulls last,
                reference_symbol asc
        ) as preference

    from correlations

),

final as (

    select
        symbol,
        reference_symbol as correlation_reference,
        return_correlation::numeric(8, 6) as return_correlation,
        common_sessions

    from ranked

    where preference = 1

)

select * from final
