with

source as (

    -- A stand-in until the first load creates the table: a load on an empty
    -- warehouse builds the groups (which read the bars) before it fetches.
    select *
    from {{ polygon_bars_source('aggs_daily', {'adjusted': 'boolean'}) }}

),

renamed as (

    select
        {{ polygon_bar_fields() }}
        adjusted as is_adjusted,

        ---------- derived dates: daily bars start at midnight New York time
        ({{ epoch_ms_to_timestamp('t') }} at time zone 'America/New_York')::date
            as session_date,
        {{ epoch_ms_to_timestamp('t') }} as bar_start_at

    from source

)

select * from renamed
