with

source as (

    select * from {{ source('polygon', '_dlt_loads') }}

),

renamed as (

    select
        ---------- ids
        load_id,
        schema_name,
        schema_version_hash,

        ---------- status
        status as load_status,

        ---------- timestamps
        inserted_at as loaded_at,

        ---------- derived
        status = 0 as is_completed

    from source

)

select * from renamed
