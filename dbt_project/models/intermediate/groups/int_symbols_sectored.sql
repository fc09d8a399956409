{#-
    One sector per symbol, from the most to the least trusted source:
    the sector CSV (seed symbol_sectors, hand-maintained), the issuers'
    holdings files (GICS, most common label across groups), then the SEC
    SIC code of the ticker details through the sic_sectors ranges.
-#}
with

tickers as (

    select * from {{ ref('stg_polygon__tickers') }}

),

group_lines as (

    select * from {{ ref('int_group_lines_current') }}

),

symbol_sectors as (

    select * from {{ ref('symbol_sectors') }}

),

etf_metadata as (

    select * from {{ ref('etf_metadata') }}

),

sic_sectors as (

    select * from {{ ref('sic_sectors') }}

),

ticker_sics as (

    select * from {{ ref('int_symbols_detailed') }}

    where sic_code is not null

),

symbols as (

    select symbol from tickers
    union
    select symbol from group_lines
    union
    select symbol from symbol_sectors
    union
    select symbol from etf_metadata
    union
    select symbol from ticker_sics

),

holdings_votes as (

    select
        symbol,
        sector,
        row_number() over (
            partition by symbol order by count(*) desc, sector
        ) as preference

    from group_lines

    where sector is not null

    group by symbol, sector

),

sic_matches as (

    select
        ticker_sics.symbol,
        sic_sectors.sector,
        sic_sectors.industry,
        -- Ranges nest (2830-2836 inside 2800-2899): the narrowest wins.
        row_number() over (
            partition by ticker_sics.symbol
            order by sic_sectors.sic_to - sic_sectors.sic_from
        ) as preference

    from ticker_sics

    inner join sic_sectors
        on ticker_sics.sic_code between sic_sectors.sic_from and sic_sectors.sic_to

),

final as (

    select
        symbols.symbol,
        coalesce(
            symbol_sectors.sector, holdings_votes.sector, sic_matches.sector, 'unknown'
        ) as sector,
        coalesce(symbol_sectors.industry, sic_matches.industry) as industry,
        case
            when symbol_sectors.sector is not null then 'sector_csv'
            when holdings_votes.sector is not null then 'holdings'
            when sic_matches.sector is not null then 'sic'
            else 'none'
        end as sector_source

    from symbols

    left join symbol_sectors
        on symbols.symbol = symbol_sectors.symbol

    left join holdings_votes
        on symbols.symbol = holdings_votes.symbol and holdings_votes.preference = 1

    left join sic_matches
        on symbols.symbol = sic_matches.symbol and sic_matches.preference = 1

)

select * from final
