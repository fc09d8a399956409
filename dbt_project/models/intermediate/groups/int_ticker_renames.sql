{#-
    Old ticker → the ticker it trades under now, for every rename the
    lifecycle has seen, with the session the old ticker was replaced.
    Renames are followed to the end of their chain: after A → B and later
    B → C, both A and B map to C. Each step must come after the one before
    it, so a ticker that is reused (A → B, later B → A) cannot loop. Groups
    are built with the current ticker; the membership snapshot keeps the
    old ones' history.
-#}
with recursive

lifecycle as (

    select * from {{ ref('symbol_lifecycle') }}

),

renames as (

    select
        symbol as old_symbol,
        renamed_to as new_symbol,
        delisted_session as renamed_session

    from lifecycle

    where renamed_to is not null

),

chains as (

    select
        old_symbol,
        new_symbol,
        renamed_session,
        renamed_session as last_renamed_session,
        1 as steps

    from renames

    union all

    select
        chains.old_symbol,
        renames.new_symbol,
        chains.renamed_session,
        renames.renamed_session as last_renamed_session,
        chains.steps + 1 as steps

    from chains

    inner join renames
        on
            chains.new_symbol = renames.old_symbol
            and chains.last_renamed_session < renames.renamed_session

),

chain_ends as (

    select
        *,
        row_number() over (partition by old_symbol order by steps desc) as recency_rank

    from chains

),

final as (

    select
        old_symbol,
        new_symbol,
        renamed_session,
        steps as rename_steps

    from chain_ends

    where recency_rank = 1 and new_symbol <> old_symbol

)

select * from final
