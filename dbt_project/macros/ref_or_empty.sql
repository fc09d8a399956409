{#-
    A model that a partial build may not have created yet (say, the
    analytics when only the groups are built on a fresh warehouse): the
    model when its relation exists, else an empty relation with the given
    typed columns. `ref` is always called, so the lineage stays whole.
-#}
{% macro ref_or_empty(model_name, empty_columns) %}
    {%- set model = ref(model_name) -%}
    {%- set existing = load_relation(model) if execute else none -%}
    {%- if existing is not none or not execute -%}
        {{ model }}
    {%- else -%}
        (
            select
                {%- for name, type in empty_columns.items() %}
                    null::{{ type }} as {{ name }}{{ "," if not loop.last }}
                {%- endfor %}
            where false
        )
    {%- endif -%}
{% endmacro %}
