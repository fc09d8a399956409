{#-
    The relationship cache, entry by entry: what `tickstock:relationships:v1:<kind>`
    holds in Redis and RelationshipCache answers, built here so Python only
    copies it. One row per (kind, key); `value` is the JSON a reader gets.
    Lists are ordered byte-wise (collate "C"). Group entries carry a digest of
    their members, so a publication can tell which groups changed.
-#}
with

groups as (

    select * from {{ ref('definition_groups') }}

),

memberships as (

    select * from {{ ref('group_memberships') }}

),

group_members as (

    select
        group_type,
        group_name,
        jsonb_agg(
            jsonb_build_array(symbol, weight::float8) order by member_rank
        ) as weighted_members,
        jsonb_agg(symbol order by symbol collate "C") as member_symbols,
        left(
            encode(
                sha256(
                    convert_to(
                        string_agg(symbol, e'\n' order by symbol collate "C"), 'UTF8'
                    )
                ),
                'hex'
            ),
            16
        ) as members_digest

    from memberships

    group by group_type, group_name

),

group_entries as (

    select
        case group_type
            when 'ETF' then 'etf_holdings'
            when 'SECTOR' then 'sector_stocks'
            when 'THEME' then 'theme_members'
            else 'universe'
        end as kind,
        group_name as entry_key,
        case
            when group_type = 'ETF' then weighted_members
            else member_symbols
        end as entry_value,
        group_type || ':' || group_name as group_id,
        members_digest

    from group_members

),

stock_etfs as (

    select
        'stock_etfs' as kind,
        symbol as entry_key,
        jsonb_agg(group_name order by group_name collate "C") as entry_value,
        null::text as group_id,
        null::text as members_digest

    from memberships

    where group_type = 'ETF'

    group by symbol

),

stock_sectors as (

    -- A stock has one sector; should two claim it, the first byte-wise wins.
    select
        'stock_sector' as kind,
        symbol as entry_key,
        to_jsonb(min(group_name collate "C")) as entry_value,
        null::text as group_id,
        null::text as members_digest

    from memberships

    where group_type = 'SECTOR'

    group by symbol

),

catalog as (

    select
        'catalog' as kind,
        case group_type
            when 'ETF' then 'all_etfs'
            when 'SECTOR' then 'all_sectors'
            else 'all_themes'
        end as entry_key,
        jsonb_agg(name order by name collate "C") as entry_value,
        null::text as group_id,
        null::text as members_digest

    from groups

    where group_type in ('ETF', 'SECTOR', 'THEME')

    group by group_type

),

indicator_entries as (

    -- Each symbol's latest indicators and risk figures (one JSON object).
    select
        'indicators' as kind,
        symbol as entry_key,
        payload as entry_value,
        null::text as group_id,
        null::text as members_digest

    from {{ ref_or_empty('int_indicators_latest', {
        'symbol': 'text',
        'as_of_date': 'date',
        'computed_at': 'timestamptz',
        'payload': 'jsonb',
    }) }} as latest_indicators

),

unioned as (

    select * from group_entries
    union all
    select * from stock_etfs
    union all
    select * from stock_sectors
    union all
    select * from catalog
    union all
    select * from indicator_entries

),

final as (

    select
        kind,
        entry_key,
        entry_value,
        group_id,
        members_digest

    from unioned

)

select * from final
