with

source as (

    select * from {{ source('polygon', '_dlt_loads') }}

),

numbered as (

    -- The order the warehouse gave the loads after they committed
    -- (macros/number_new_loads.sql); empty before the ops migration.
    select *
    from {{ source_or_empty('ops', 'load_sequence', {
        'load_sequence': 'bigint',
        'load_id': 'text',
        'numbered_at': 'timestamptz',
    }) }}

),

renamed as (

    select
        ---------- ids
        source.load_id,
        source.schema_name,
        source.schema_version_hash,

        ---------- status
        source.status as load_status,

        ---------- order: assigned by the database after the load committed
        numbered.load_sequence,

        ---------- timestamps
        numbered.numbered_at as loaded_at,
        source.inserted_at as dlt_inserted_at,

        ---------- derived
        source.status = 0 and numbered.load_sequence is not null as is_completed

    from source

    left join numbered
        on source.load_id = numbered.load_id

)

select * from renamed
