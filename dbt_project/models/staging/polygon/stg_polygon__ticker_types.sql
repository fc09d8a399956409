with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'ticker_types', {
            'code': 'text', 'description': 'text', 'asset_class': 'text',
            'locale': 'text', '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        code as type_code,
        asset_class,
        locale,

        ---------- descriptors
        description,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
