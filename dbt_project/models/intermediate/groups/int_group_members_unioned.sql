{#-
    Members of every group, one row per (group_type, group_name, symbol):
    ETF holdings and universe files as loaded (issuer facts, kept whole);
    sectors and themes from the classification and seeds; computed universes
    by the rules in the universe_definitions and universe_filters seeds.
    Groups dbt derives hold only symbols the warehouse tracks (marts.symbols):
    those are what TickStock can scan. A renamed symbol counts under its new
    ticker (int_ticker_renames), whatever ticker a file or rule names. A
    symbol the warehouse knows as delisted (marts.symbols.active false, set
    by the EOD of the session that saw it go) leaves every group, loaded ones
    too: a file that still lists it is older than the delisting.
-#}
with

tracked as (

    select
        symbol,
        active

    from {{ ref('symbols') }}

),

delisted as (

    select symbol from tracked

    where active is false

),

group_lines as (

    select * from {{ ref('int_group_lines_current') }}

),

symbols as (

    select * from {{ ref('int_symbols_classified') }}

),

liquidity as (

    select * from {{ ref('int_symbols_liquidity') }}

),

etf_metadata as (

    select * from {{ ref('etf_metadata') }}

),

etf_themes as (

    select * from {{ ref('etf_themes') }}

),

universe_definitions as (

    select * from {{ ref('universe_definitions') }}

),

universe_filters as (

    select * from {{ ref('universe_filters') }}

),

dev_universe as (

    select * from {{ ref('dev_universe') }}

),

renames as (

    select * from {{ ref('int_ticker_renames') }}

),

loaded as (

    select
        group_type,
        group_name,
        symbol,
        weight_pct,
        case when group_type = 'ETF' then 'holdings_file' else 'universe_file' end as source

    from group_lines

),

sector_members as (

    select
        'SECTOR' as group_type,
        sector as group_name,
        symbol,
        null::double precision as weight_pct,
        sector_source as source

    from symbols

    where
        not is_fund
        and sector <> 'unknown'
        and symbol in (select tracked.symbol from tracked)

),

theme_members as (

    select
        'THEME' as group_type,
        theme as group_name,
        symbol,
        null::double precision as weight_pct,
        'seed' as source

    from etf_themes

    where symbol in (select tracked.symbol from tracked)

),

stocks_by_market_cap as (

    select
        symbol,
        row_number() over (order by market_cap desc, symbol asc) as size_rank

    from symbols

    where
        not is_fund
        and market_cap is not null
        and symbol in (select tracked.symbol from tracked)

),

market_cap_members as (

    select
        'UNIVERSE' as group_type,
        universe_definitions.universe as group_name,
        stocks_by_market_cap.symbol,
        null::double precision as weight_pct,
        'market_cap_rank' as source

    from universe_definitions

    inner join stocks_by_market_cap
        on universe_definitions.size_limit >= stocks_by_market_cap.size_rank

    where universe_definitions.category = 'market_cap'

),

etfs_by_aum as (

    select
        etf_metadata.symbol,
        row_number()
            over (order by etf_metadata.aum_millions desc, etf_metadata.symbol asc)
            as aum_rank

    from etf_metadata

    inner join universe_filters
        on universe_filters.filter_name = 'aum'

    where
        etf_metadata.aum_millions >= universe_filters.min_aum_millions
        and etf_metadata.symbol in (select tracked.symbol from tracked)

),

top_etf_members as (

    select
        'UNIVERSE' as group_type,
        universe_definitions.universe as group_name,
        etfs_by_aum.symbol,
        null::double precision as weight_pct,
        'aum_rank' as source

    from universe_definitions

    inner join etfs_by_aum
        on universe_definitions.size_limit >= etfs_by_aum.aum_rank

    where universe_definitions.universe = 'top_etf_50'

),

liquid_members as (

    select
        'UNIVERSE' as group_type,
        'liquid_stocks' as group_name,
        liquidity.symbol,
        null::double precision as weight_pct,
        'liquidity_filter' as source

    from liquidity

    inner join symbols
        on liquidity.symbol = symbols.symbol

    where liquidity.is_liquid and not symbols.is_fund

),

dev_ranked as (

    select
        dev_universe.symbol,
        dev_universe.type,
        row_number() over (
            partition by dev_universe.type = 'ETF'
            order by symbols.market_cap desc nulls last, dev_universe.symbol asc
        ) as size_rank

    from dev_universe

    left join symbols
        on dev_universe.symbol = symbols.symbol

    where dev_universe.symbol in (select tracked.symbol from tracked)

),

dev_members as (

    select
        'UNIVERSE' as group_type,
        universe_definitions.universe as group_name,
        dev_ranked.symbol,
        null::double precision as weight_pct,
        'dev_universe' as source

    from universe_definitions

    inner join dev_ranked
        on
            (
                universe_definitions.universe = 'dev_top_10'
                and dev_ranked.type <> 'ETF'
                and universe_definitions.size_limit >= dev_ranked.size_rank
            )
            or (universe_definitions.universe = 'dev_etfs' and dev_ranked.type = 'ETF')
            or (
                universe_definitions.universe = 'dev_sectors'
                and dev_ranked.symbol in (
                    select symbol from etf_themes
                    where theme = 'sectors'
                )
            )

),

unioned as (

    select * from loaded
    union all
    select * from sector_members
    union all
    select * from theme_members
    union all
    select * from market_cap_members
    union all
    select * from top_etf_members
    union all
    select * from liquid_members
    union all
    select * from dev_members

),

current_tickers as (

    select
        unioned.group_type,
        unioned.group_name,
        unioned.weight_pct,
        unioned.source,
        coalesce(renames.new_symbol, unioned.symbol) as symbol,
        -- Listed under both tickers: the row of the new one wins.
        row_number() over (
            partition by
                unioned.group_type,
                unioned.group_name,
                coalesce(renames.new_symbol, unioned.symbol)
            order by renames.old_symbol is null desc, unioned.weight_pct desc nulls last
        ) as ticker_rank

    from unioned

    left join renames
        on unioned.symbol = renames.old_symbol

),

final as (

    select
        group_type,
        group_name,
        symbol,
        weight_pct,
        source

    from current_tickers

    where
        ticker_rank = 1
        and not exists (
            select from delisted
            where delisted.symbol = current_tickers.symbol
        )

)

select * from final
