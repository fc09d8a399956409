{#-
    Post-hook of int_adjustment_factors: copies the factor ranges it has just
    recomputed (this run's `computed_at`) onto the bars they cover, for the
    bars whose factors differ. One index range scan of (symbol, date) per
    range: the cost is those symbols' bars, never the table, and the as-traded
    columns are not touched. Postgres would rather hash the few ranges and
    scan every bar (measured at 500 symbols x 20 years: 3.8 s for one
    split), so this transaction (the hook runs in the model's) is told to
    take the index.
-#}
{% macro apply_adjustment_factors(bars) -%}
    set local enable_hashjoin = off;
    set local enable_mergejoin = off;
    update {{ bars }} as bars
    set
        split_factor = ranges.split_factor,
        total_factor = ranges.total_factor
    from {{ this }} as ranges
    where
        ranges.computed_at = '{{ run_started_at }}'::timestamptz
        and bars.symbol = ranges.symbol
        and bars.date >= ranges.valid_from
        and bars.date < ranges.valid_until
        and (bars.split_factor, bars.total_factor)
        is distinct from (ranges.split_factor, ranges.total_factor)
{%- endmacro %}
