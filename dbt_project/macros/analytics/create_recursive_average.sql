{#-
    `udf.recursive_average(value, weight, restart)`: the exponential and
    Wilder averages of the indicators, as an ordered window aggregate.
    Each row: `restart` when given (the seed of the average, or a value
    already stored by an earlier build), else null until a restart, else
    `previous + weight * (value - previous)`. EMA(N) is weight 2 / (N + 1),
    Wilder's smoothing weight 1 / N.

    An aggregate keeps its state from row to row, so a window over a
    symbol's bars costs one step per bar; an incremental build restarts it
    from the stored value of the last row it keeps. PL/pgSQL, not SQL: an
    aggregate cannot inline a SQL function, and the PL/pgSQL step is about
    2.5 times faster (1M rows: 0.99 s against 2.35 s; a plain running sum
    takes 0.89 s). Run as an on-run-start hook: `create or replace` keeps it
    idempotent.
-#}
{% macro create_recursive_average() %}
    create schema if not exists udf;

    create or replace function udf.recursive_average_step(
        state double precision,
        value double precision,
        weight double precision,
        restart double precision
    ) returns double precision
    language plpgsql immutable parallel safe
    as $$
    begin
        if restart is not null then
            return restart;
        end if;
        if state is null then
            return null;
        end if;
        return state + weight * (value - state);
    end
    $$;

    create or replace aggregate udf.recursive_average(
        double precision, double precision, double precision
    ) (
        sfunc = udf.recursive_average_step,
        stype = double precision
    );
{% endmacro %}
