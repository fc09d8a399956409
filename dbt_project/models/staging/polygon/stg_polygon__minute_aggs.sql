with

source as (

    select *
    from {{ polygon_bars_source('aggs_minute', {'adjusted': 'boolean'}) }}

),

renamed as (

    select
        {{ polygon_bar_fields() }}
        adjusted as is_adjusted,

        ---------- derived: the minute's UTC start and the New York date it trades on
        {{ epoch_ms_to_timestamp('t') }} as bar_start_at,
        ({{ epoch_ms_to_timestamp('t') }} at time zone 'America/New_York')::date
            as session_date

    from source

)

select * from renamed
