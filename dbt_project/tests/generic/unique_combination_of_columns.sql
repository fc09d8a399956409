{#-
    Fails for every combination of the given columns that occurs more than
    once (the dbt_utils test of the same name, written here because no dbt
    packages can be installed).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

validation as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences

    from {{ model }}

    group by {{ combination_of_columns | join(', ') }}

    having count(*) > 1

)

select * from validation

{% endtest %}
