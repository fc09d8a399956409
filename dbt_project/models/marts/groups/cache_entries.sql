{#-
    TickStock's cache_entries shape: one row per (type, name, key), the
    payload in `value`. Entry types:
    - etf_holdings / <ETF> / holdings: [{"symbol", "weight"}] by weight;
    - etf_universe / <theme> / etfs: the ETFs of a theme;
    - etf_universe or stock_universe / <universe> / symbols: universe members
      (etf_ when every member is a fund);
    - stock_universe / sector_<sector> / symbols: the stocks of a sector;
    - indicators / <symbol> / latest: the symbol's latest indicators and risk
      figures, one JSON object (int_indicators_latest).
-#}
with

groups as (

    select * from {{ ref('definition_groups') }}

),

memberships as (

    select * from {{ ref('group_memberships') }}

),

symbols as (

    select * from {{ ref('int_symbols_classified') }}

),

history as (

    select * from {{ ref('group_memberships_snapshot') }}

),

latest_indicators as (

    select * from {{ ref_or_empty('int_indicators_latest', {
        'symbol': 'text',
        'as_of_date': 'date',
        'computed_at': 'timestamptz',
        'payload': 'jsonb',
    }) }} as latest_indicators

),

member_lists as (

    select
        memberships.group_id,
        jsonb_agg(
            jsonb_build_object('symbol', memberships.symbol, 'weight', memberships.weight)
            order by memberships.member_rank
        ) as weighted_members,
        jsonb_agg(memberships.symbol order by memberships.symbol) as member_symbols,
        bool_and(coalesce(symbols.is_fund, false)) as all_funds

    from memberships

    left join symbols
        on memberships.symbol = symbols.symbol

    group by memberships.group_id

),

last_changes as (

    select
        group_id,
        max(greatest(dbt_valid_from, coalesce(dbt_valid_to, dbt_valid_from))) as last_change_at

    from history

    group by group_id

),

group_entries as (

    select
        ---------- key (`type` and `key` are TickStock's column names)
        case
            when groups.group_type = 'ETF' then 'etf_holdings'
            when groups.group_type = 'THEME' then 'etf_universe'
            when groups.group_type = 'UNIVERSE' and member_lists.all_funds then 'etf_universe'
            else 'stock_universe'
        end as type,  -- noqa: RF04
        case
            when groups.group_type = 'SECTOR'
                then 'sector_' || regexp_replace(lower(groups.name), '[^a-z0-9]+', '_', 'g')
            else groups.name
        end as name,
        case groups.group_type
            when 'ETF' then 'holdings'
            when 'THEME' then 'etfs'
            else 'symbols'
        end as key,  -- noqa: RF04

        ---------- payload
        case
            when groups.group_type = 'ETF'
                then coalesce(member_lists.weighted_members, '[]'::jsonb)
            else coalesce(member_lists.member_symbols, '[]'::jsonb)
        end as value,  -- noqa: RF04

        ---------- universe description
        groups.category as universe_category,
        case when groups.filter_name is not null then groups.metadata end as liquidity_filter,
        jsonb_strip_nulls(jsonb_build_object(
            'group_id', groups.group_id,
            'description', groups.description,
            'member_count', groups.member_count,
            'source', groups.source,
            'source_file', groups.source_file,
            'checksum', groups.checksum,
            'as_of_date', groups.as_of_date,
            'details', nullif(groups.metadata, '{}'::jsonb)
        )) as universe_metadata,
        coalesce(groups.last_updated, last_changes.last_change_at)::timestamptz
            as last_universe_update,
        '{{ target.name }}' as environment

    from groups

    left join member_lists
        on groups.group_id = member_lists.group_id

    left join last_changes
        on groups.group_id = last_changes.group_id

),

indicator_entries as (

    select
        'indicators' as type,  -- noqa: RF04
        symbol as name,
        'latest' as key,  -- noqa: RF04
        payload as value,  -- noqa: RF04
        null::text as universe_category,
        null::jsonb as liquidity_filter,
        jsonb_build_object(
            'as_of_date', as_of_date,
            'source', 'marts.indicators_daily, marts.risk_daily'
        ) as universe_metadata,
        computed_at as last_universe_update,
        '{{ target.name }}' as environment

    from latest_indicators

),

final as (

    select * from group_entries

    union all

    select * from indicator_entries

)

select * from final
