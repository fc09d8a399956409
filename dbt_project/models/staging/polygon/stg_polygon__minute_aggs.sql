with

source as (

    select *
    from {{ source_or_empty('polygon', 'aggs_minute', {
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

        ---------- derived: the minute's UTC start and the New York date it trades on
        {{ epoch_ms_to_timestamp('t') }} as bar_start_at,
        ({{ epoch_ms_to_timestamp('t') }} at time zone 'America/New_York')::date
            as session_date

    from source

)

select * from renamed
