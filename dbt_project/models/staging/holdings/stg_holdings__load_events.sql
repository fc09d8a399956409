with

source as (

    -- Empty (same columns) until the first file is loaded.
    select *
    from
        {{ source_or_empty('holdings', 'holding_loads', {
            'event_id': 'text', 'recorded_at': 'timestamptz', 'action': 'text',
            'mode': 'text', 'group_type': 'text', 'group_name': 'text',
            'batch_id': 'text', 'checksum': 'text', 'source_file': 'text',
            'layout': 'text', 'as_of_date': 'date', 'row_count': 'bigint',
            'weight_total': 'double precision'
        }) }}

),

renamed as (

    select
        ---------- ids
        event_id,
        group_type,
        group_name,
        batch_id,

        ---------- event
        action,
        mode,
        recorded_at,

        ---------- file
        checksum,
        source_file,
        layout,
        as_of_date,
        row_count,
        weight_total

    from source

)

select * from renamed
