{#-
    Fails for every bar whose prices are not a consistent OHLC bar:
    high >= greatest(open, close), low <= least(open, close), low > 0 and
    high >= low. Column names default to open/high/low/close.
-#}
{% test ohlc_integrity(
    model,
    open_column='open',
    high_column='high',
    low_column='low',
    close_column='close'
) %}

with

bars as (

    select
        *,
        {{ open_column }} as bar_open,
        {{ high_column }} as bar_high,
        {{ low_column }} as bar_low,
        {{ close_column }} as bar_close

    from {{ model }}

),

violations as (

    select *

    from bars

    where
        bar_high < greatest(bar_open, bar_close)
        or bar_low > least(bar_open, bar_close)
        or bar_low <= 0
        or bar_high < bar_low
        or bar_open is null
        or bar_high is null
        or bar_low is null
        or bar_close is null

)

select * from violations

{% endtest %}
