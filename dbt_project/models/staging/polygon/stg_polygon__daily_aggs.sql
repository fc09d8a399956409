with

source as (

    -- A stand-in until the first load creates the table: a load on an empty
    -- warehouse builds the groups (which read the bars) before it fetches.
    select *
    from {{ source_or_empty('polygon', 'aggs_daily', {
        'ticker': 'text',
        't': 'bigint',
        'o': 'numeric',
        'h': 'numeric',
        'l': 'numeric',
        'c': 'numeric',
        'v': 'numeric',
        'vw': 'numeric',
        'n': 'bigint',
        'otc': 'boolean',
        'adjusted': 'boolean',
        'data_source': 'text',
        '_dlt_load_id': 'text',
    }) }}

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
        adjusted as is_adjusted,

        ---------- lineage
        data_source,
        _dlt_load_id as load_id,

        ---------- derived dates: daily bars start at midnight New York time
        ({{ epoch_ms_to_timestamp('t') }} at time zone 'America/New_York')::date
            as session_date,
        {{ epoch_ms_to_timestamp('t') }} as bar_start_at

    from source

)

select * from renamed
