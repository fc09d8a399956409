{#-
    loaded_at_query for calendar-aware source freshness of daily-bar tables.

    Returns the moment the NEXT session's bars became due: the market_close
    of the first trading session after the latest session present in the
    table. dbt measures age = now() - that moment, so the age is "how long
    the next session has been overdue", and is negative (fresh) while that
    session has not closed yet. A weekend, a holiday or a long weekend adds
    no age, because the next session comes from the NYSE calendar
    (raw_calendar.sessions, pandas-market-calendars), never weekday math.

    max(t) reads the newest bar once (t is monotonic in the session date), so
    the query costs one aggregate over the table, not a scan per day. An
    empty table or a calendar that ends too early yields null, which dbt
    reports as stale (error): both need a human.

    Rendered at run time by `dbt source freshness`, where `this` is the
    source table being checked.
-#}
{% macro next_session_due_at(epoch_ms_column='t') -%}
    select min(sessions.market_close)
    from {{ source('calendar', 'sessions') }} as sessions
    where sessions.session_date > (
        select (
            {{ epoch_ms_to_timestamp('max(' ~ epoch_ms_column ~ ')') }}
            at time zone 'America/New_York'
        )::date
        from {{ this }}
    )
{%- endmacro %}
