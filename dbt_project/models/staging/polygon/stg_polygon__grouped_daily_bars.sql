with

source as (

    select * from {{ source('polygon', 'grouped_daily') }}

),

renamed as (

    select
        ---------- ids
        ticker as symbol,

        ---------- prices
        o as open,
        h as high,
        l as low,
        c as close,
        vw as vwap,

        ---------- activity
        v as volume,
        n as transactions,

        ---------- flags
        otc as is_otc,

        ---------- dates
        request_date,

        ---------- lineage
        _dlt_load_id as load_id,

        ---------- derived dates: daily bars start at midnight New York time
        ({{ epoch_ms_to_timestamp('t') }} at time zone 'America/New_York')::date
            as session_date,
        {{ epoch_ms_to_timestamp('t') }} as bar_start_at

    from source

)

select * from renamed
