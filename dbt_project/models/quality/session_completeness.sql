{#- Per session: how many tracked symbols should have a bar, and how many do. -#}
{{
    config(
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
