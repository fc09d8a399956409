{#-
    What the EOD completion notice says about the as-of session, in one row:
    the tracked symbols and how many have their bar (the same counts as
    session_completeness: one rule), the missing ones, the active symbols of
    types the EOD does not track (per type), and the funds whose details
    the EOD refreshes. Incremental: each run writes its session's row and
    keeps the others as they were.
-#}
{{
    config(
        materialized='incremental',
        unique_key='session_date',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['session_date'], 'unique': true}],
    )
}}

with

symbols as (

    select * from {{ ref('symbols') }}

),

equity_types as (

    select * from {{ ref('dim_equity_types') }}

),

completeness as (

    select * from {{ ref('session_completeness') }}

),

expected as (

    select * from {{ ref('expected_daily_bars') }}

),

as_of as (

    select {{ quality_as_of_session() }} as session_date

),

active_symbols as (

    select
        symbols.symbol,
        coalesce(symbols.type, 'unknown') as type_code,
        symbols.initial_load_date <= as_of.session_date as seen_by_session,
        coalesce(equity_types.eod_update, false) as eod_update,
        coalesce(equity_types.fetch_etf_details, false) as fetch_etf_details

    from symbols

    cross join as_of

    left join equity_types
        on symbols.type = equity_types.type_code

    where symbols.active

),

not_eod_types as (

    select
        type_code,
        count(*)::integer as symbol_count

    from active_symbols

    where not eod_update and seen_by_session

    group by type_code

),

missing as (

    select expected.symbol

    from expected

    inner join as_of
        on expected.session_date = as_of.session_date

    where not expected.has_bar

),

final as (

    select
        as_of.session_date,
        coalesce(completeness.symbols_expected, 0) as eod_symbols,
        coalesce(completeness.symbols_present, 0) as eod_symbols_processed,
        coalesce(completeness.completeness_pct, 0.0)::numeric(5, 2)
            as eod_processed_pct,
        (
            select
                coalesce(array_agg(missing.symbol order by missing.symbol), '{}')
                    as missing_symbols
            from missing
        ) as missing_symbols,
        (
            select
                coalesce(
                    jsonb_object_agg(not_eod_types.type_code, not_eod_types.symbol_count),
                    '{}'::jsonb
                ) as not_eod_types
            from not_eod_types
        ) as not_eod_types,
        (
            select count(*) as etf_funds
            from active_symbols
            where active_symbols.fetch_etf_details
        )::integer as etf_funds

    from as_of

    left join completeness
        on as_of.session_date = completeness.session_date

)

select * from final
