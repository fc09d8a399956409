with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'splits', {
            'ticker': 'text', 'execution_date': 'date', 'id': 'text',
            'split_from': 'numeric', 'split_to': 'numeric',
            '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        ticker as symbol,
        id as split_id,

        ---------- dates
        execution_date,

        ---------- ratio: split_to new shares for every split_from old ones
        split_from,
        split_to,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
