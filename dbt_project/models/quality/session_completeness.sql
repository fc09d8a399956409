{#-
    Per session: how many tracked symbols should have a bar, and how many do.
    Incremental: each run re-counts the sessions of expected_daily_bars'
    window and keeps the older sessions' rows as they were.
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

expected as (

    select * from {{ ref('expected_daily_bars') }}

),

final as (

    select
        session_date,
        count(*)::integer as symbols_expected,
        count(*) filter (where has_bar)::integer as symbols_present,
        count(*) filter (where not has_bar)::integer as symbols_missing,
        round(100.0 * count(*) filter (where has_bar) / count(*), 2)
            as completeness_pct

    from expected

    group by session_date

)

select * from final
