{#-
    Special NYSE closures must never be trading sessions in the spine, so no
    gap can ever be expected on them: 9/11 (2001-09-11..14), the national
    days of mourning for Presidents Reagan (2004-06-11), Ford (2007-01-02),
    G. H. W. Bush (2018-12-05) and Carter (2025-01-09), and Hurricane Sandy
    (2012-10-29/30). Returns any such day found in the spine.
-#}
with

sessions as (

    select * from {{ ref('trading_sessions') }}

),

special_closures as (

    select closure_date::date as closure_date
    from (
        values
        ('2001-09-11'), ('2001-09-12'), ('2001-09-13'), ('2001-09-14'),
        ('2004-06-11'), ('2007-01-02'), ('2012-10-29'), ('2012-10-30'),
        ('2018-12-05'), ('2025-01-09')
    ) as closures (closure_date)

),

final as (

    select sessions.session_date

    from sessions

    inner join special_closures
        on sessions.session_date = special_closures.closure_date

)

select * from final
