with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'ticker_events', {
            'queried_id': 'text', 'type': 'text', 'date': 'date',
            'ticker': 'text', 'name': 'text', 'composite_figi': 'text',
            'cik': 'text', '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        queried_id,
        composite_figi,
        cik,

        ---------- event
        type as event_type,
        date as event_date,
        ticker as new_symbol,

        ---------- descriptors
        name,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
