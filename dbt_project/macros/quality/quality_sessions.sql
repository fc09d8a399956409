{#-
    The session a quality run is "as of": the `quality_session` var
    (`tickstock quality --date D` sets it), else the newest daily bar.
-#}
{% macro quality_as_of_session() -%}
    {%- if var('quality_session', none) -%}
        '{{ var("quality_session") }}'::date
    {%- else -%}
        (select max(bars.date) from {{ ref('ohlcv_daily') }} as bars)
    {%- endif -%}
{%- endmacro %}


{#-
    The first session of the `sessions_back` sessions ending at the as-of
    session, as a literal when it can be (see planned_literal). Models that
    look at recent bars filter on it: with the index on ohlcv_daily.date that
    read costs the window, not the history. `sessions_back` may be a scalar
    subquery (a seed's value).
-#}
{% macro quality_window_start(sessions_back) -%}
    {%- set expression -%}
    (
        select min(window_sessions.session_date)
        from {{ ref('trading_sessions') }} as window_sessions
        where window_sessions.session_number > (
            select max(as_of_sessions.session_number)
            from {{ ref('trading_sessions') }} as as_of_sessions
            where as_of_sessions.session_date <= {{ quality_as_of_session() }}
        ) - {{ sessions_back }}
    )
    {%- endset -%}
    {{ planned_literal(expression, 'date', [ref('trading_sessions'), ref('ohlcv_daily')]) }}
{%- endmacro %}

