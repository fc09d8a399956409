{#-
    The pieces of the adjustment convention (README, "Adjustment convention")
    shared by int_adjustment_factors, which owns the factors, and ohlcv_daily,
    which writes them onto new bars as it inserts them (so a backfill writes
    each bar once; int_adjustment_factors' post-hook corrects any bar whose
    factors the insert could not know).
-#}

{#- Every corporate action that adjusts prices, one row per split or cash
    dividend: (symbol, action_date, load_id, split_step, cash_amount). -#}
{% macro corporate_actions(splits, dividends) -%}
    select
        symbol,
        execution_date as action_date,
        load_id,
        split_from / split_to as split_step,
        null::numeric as cash_amount

    from {{ splits }}

    where split_from > 0 and split_to > 0

    union all

    select
        symbol,
        ex_dividend_date as action_date,
        load_id,
        1::numeric as split_step,
        cash_amount

    from {{ dividends }}

    where cash_amount > 0 and coalesce(currency, 'USD') = 'USD'
{%- endmacro %}


{#- One action date's price steps, from its actions grouped by (symbol,
    action_date) (`actions_dated`: at most one split a day, the raw key; the
    cash dividends of one ex-date summed) and the close of the last bar
    before that date. Emits `split_step` and `dividend_step`. -#}
{% macro action_steps(actions_dated, reference_close) -%}
    coalesce({{ actions_dated }}.split_step, 1) as split_step,
    case
        when {{ actions_dated }}.cash_amount is null then 1
        when {{ reference_close }} > {{ actions_dated }}.cash_amount
            then 1 - {{ actions_dated }}.cash_amount / {{ reference_close }}
        else 1
    end as dividend_step
{%- endmacro %}


{#- Actions grouped per (symbol, action_date), from rows of
    corporate_actions: the split's step and the summed cash. -#}
{% macro actions_dated_columns() -%}
    max(split_step) filter (where cash_amount is null) as split_step,
    sum(cash_amount) as cash_amount
{%- endmacro %}


{#- From `actions_priced` (symbol, action_date, split_step, dividend_step:
    the actions that count), the CTEs actions_numbered, factors_cumulated and
    factor_ranges: (symbol, valid_from, valid_until, split_factor,
    total_factor), one row per range of bar dates between two actions. -#}
{% macro factor_ranges(actions_priced) -%}
actions_numbered as (

    select
        *,
        row_number() over (
            partition by symbol order by action_date desc
        ) as steps_back,
        lead(action_date) over (
            partition by symbol order by action_date desc
        ) as earlier_action_date

    from {{ actions_priced }}

),

factors_cumulated as (

    -- Newest action first; each older one multiplies in. Exact numeric
    -- products (no exp/ln), rounded to the stored scale at each step.
    -- The walk is nested here: dbt puts its own CTEs first in the query.
    with recursive walk as (

        select
            symbol,
            steps_back,
            action_date,
            earlier_action_date,
            round(split_step, 18) as split_factor,
            round(split_step * dividend_step, 18) as total_factor

        from actions_numbered

        where steps_back = 1

        union all

        select
            older.symbol,
            older.steps_back,
            older.action_date,
            older.earlier_action_date,
            round(newer.split_factor * older.split_step, 18) as split_factor,
            round(
                newer.total_factor * older.split_step * older.dividend_step, 18
            ) as total_factor

        from walk as newer

        inner join actions_numbered as older
            on
                newer.symbol = older.symbol
                and newer.steps_back + 1 = older.steps_back

    )

    select * from walk

),

factor_ranges as (

    -- Bars before an action (back to the action before it) carry the
    -- product of that action's step and every later one's.
    select
        symbol,
        coalesce(earlier_action_date, '-infinity'::date) as valid_from,
        action_date as valid_until,
        split_factor,
        total_factor

    from factors_cumulated

    union all

    -- From the latest action on: as traded.
    select
        symbol,
        action_date as valid_from,
        'infinity'::date as valid_until,
        1 as split_factor,
        1 as total_factor

    from factors_cumulated

    where steps_back = 1

)
{%- endmacro %}
