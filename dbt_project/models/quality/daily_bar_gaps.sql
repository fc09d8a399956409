{#-
    Sessions a tracked symbol has no daily bar for. Consecutive missing
    sessions of one symbol form a run (gaps-and-islands on the session
    number), so a backfill can ask for one date range per run.
-#}
{{
    config(
        indexes=[{'columns': ['symbol', 'session_date'], 'unique': true}],
    )
}}

with

expected as (

    select * from {{ ref('expected_daily_bars') }}

),

missing as (

    select
        symbol,
        session_date,
        session_number,
        -- Constant within a run of consecutive missing sessions.
        session_number - row_number() over (
            partition by symbol order by session_number
        ) as run_key

    from expected

    where not has_bar

),

final as (

    select
        symbol,
        session_date,
        session_number,
        min(session_date) over (partition by symbol, run_key) as run_start_date,
        max(session_date) over (partition by symbol, run_key) as run_end_date,
        count(*) over (partition by symbol, run_key)::integer as run_sessions

    from missing

)

select * from final
