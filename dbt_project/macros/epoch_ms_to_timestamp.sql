{#-
    Polygon's epoch-millisecond timestamps as timestamptz, exactly: integer
    interval arithmetic, with no numeric or float division (which cost twice
    as much per bar in a backfill).
-#}
{% macro epoch_ms_to_timestamp(column) -%}
    (timestamptz 'epoch' + {{ column }} * interval '1 millisecond')
{%- endmacro %}
