with

members as (

    select * from {{ ref('int_group_members_unioned') }}

),

current_loads as (

    select * from {{ ref('int_group_loads_current') }}

),

etf_metadata as (

    select * from {{ ref('etf_metadata') }}

),

themes as (

    select * from {{ ref('themes') }}

),

universe_definitions as (

    select * from {{ ref('universe_definitions') }}

),

universe_filters as (

    select * from {{ ref('universe_filters') }}

),

declared as (

    -- Groups exist even while empty: every known ETF, theme and rule universe.
    select
        'ETF' as group_type,
        symbol as group_name
    from etf_metadata
    union
    select
        'THEME' as group_type,
        theme as group_name
    from themes
    union
    select
        'UNIVERSE' as group_type,
        universe as group_name
    from universe_definitions
    union
    select
        group_type,
        group_name
    from members
    union
    select
        group_type,
        group_name
    from current_loads

),

member_counts as (

    select
        group_type,
        group_name,
        count(*) as member_count,
        min(source) as source

    from members

    group by group_type, group_name

),

final as (

    -- Column order follows the contract in _groups__models.yml.
    select
        ---------- ids
        declared.group_type,
        declared.group_name as name,

        ---------- rule and lineage of loaded files
        universe_definitions.filter_name,
        current_loads.checksum,
        current_loads.source_file,
        current_loads.as_of_date,
        current_loads.last_updated,

        declared.group_type || ':' || declared.group_name as group_id,

        ---------- description
        case declared.group_type
            when 'ETF' then coalesce(etf_metadata.name, declared.group_name || ' holdings')
            when 'THEME' then themes.description
            when 'UNIVERSE'
                then coalesce(
                    universe_definitions.description,
                    'Universe loaded from ' || current_loads.source_file
                )
            else declared.group_name || ' sector'
        end as description,
        case declared.group_type
            when 'ETF' then coalesce(etf_metadata.etf_type, 'unclassified')
            when 'THEME' then 'theme'
            when 'SECTOR' then 'sector'
            else coalesce(universe_definitions.category, 'index')
        end as category,
        coalesce(member_counts.member_count, 0)::integer as member_count,
        coalesce(
            member_counts.source,
            case when current_loads.batch_id is null then 'seed' else 'holdings_file' end
        ) as source,
        ---------- details
        case
            when declared.group_type = 'ETF'
                then jsonb_strip_nulls(jsonb_build_object(
                    'issuer', etf_metadata.issuer,
                    'aum_millions', etf_metadata.aum_millions,
                    'expense_ratio', etf_metadata.expense_ratio,
                    'underlying_index', etf_metadata.underlying_index
                ))
            when universe_filters.filter_name is not null
                then jsonb_strip_nulls(jsonb_build_object(
                    'filter', universe_filters.filter_name,
                    'min_avg_daily_volume', universe_filters.min_avg_daily_volume,
                    'lookback_sessions', universe_filters.lookback_sessions,
                    'min_aum_millions', universe_filters.min_aum_millions
                ))
            else '{}'::jsonb
        end as metadata

    from declared

    left join member_counts
        on
            declared.group_type = member_counts.group_type
            and declared.group_name = member_counts.group_name

    left join current_loads
        on
            declared.group_type = current_loads.group_type
            and declared.group_name = current_loads.group_name

    left join etf_metadata
        on declared.group_type = 'ETF' and declared.group_name = etf_metadata.symbol

    left join themes
        on declared.group_type = 'THEME' and declared.group_name = themes.theme

    left join universe_definitions
        on declared.group_type = 'UNIVERSE' and declared.group_name = universe_definitions.universe

    left join universe_filters
        on universe_definitions.filter_name = universe_filters.filter_name

)

select * from final
