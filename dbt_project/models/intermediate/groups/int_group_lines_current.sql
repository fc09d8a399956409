with

lines as (

    select * from {{ ref('stg_holdings__lines') }}

),

current_loads as (

    select * from {{ ref('int_group_loads_current') }}

),

ticker_aliases as (

    select * from {{ ref('ticker_aliases') }}

),

sector_aliases as (

    select * from {{ ref('sector_aliases') }}

),

current_lines as (

    select lines.*

    from lines

    inner join current_loads
        on lines.batch_id = current_loads.batch_id

    -- Cash, futures and money-market lines are not members a scanner follows.
    where lower(lines.asset_class) not in (
        'cash', 'money market', 'futures', 'cash collateral and margins', 'fx', 'swaps'
    )

),

normalised as (

    select
        current_lines.group_type,
        current_lines.group_name,
        current_lines.security_name,
        sector_aliases.sector,
        current_lines.weight_pct,
        current_lines.shares,
        current_lines.market_cap,
        current_lines.as_of_date,
        -- iShares writes BRKB where Polygon (and SSGA) write BRK.B.
        coalesce(ticker_aliases.symbol, current_lines.issuer_ticker) as symbol

    from current_lines

    left join ticker_aliases
        on current_lines.issuer_ticker = ticker_aliases.issuer_ticker

    left join sector_aliases
        on current_lines.issuer_sector = sector_aliases.label

),

final as (

    -- A fund may list one ticker on several lines (a share and its CVR):
    -- one membership, weights and shares added up.
    select
        group_type,
        group_name,
        symbol,
        min(security_name) as security_name,
        min(sector) as sector,
        sum(weight_pct) as weight_pct,
        sum(shares) as shares_held,
        max(market_cap) as market_cap,
        max(as_of_date) as as_of_date

    from normalised

    group by group_type, group_name, symbol

)

select * from final
