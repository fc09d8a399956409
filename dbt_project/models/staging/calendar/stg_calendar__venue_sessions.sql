{#-
    Built with the quality models too (tag quality), its only readers, so a
    quality build needs nothing built beforehand. No venue abroad landed
    yet (dlt creates the table on its first load): an empty relation.
-#}
{{ config(tags=['quality']) }}

with

source as (

    select *
    from {{ source_or_empty('calendar', 'venue_sessions', {
        'venue': 'text', 'session_date': 'date',
    }) }}

),

renamed as (

    select
        ---------- ids
        venue,
        session_date

    from source

)

select * from renamed
