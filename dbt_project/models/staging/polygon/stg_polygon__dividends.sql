with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'dividends', {
            'ticker': 'text', 'ex_dividend_date': 'date',
            'dividend_type': 'text', 'id': 'text', 'cash_amount': 'numeric',
            'currency': 'text', 'declaration_date': 'date',
            'record_date': 'date', 'pay_date': 'date', 'frequency': 'bigint',
            '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        ticker as symbol,
        id as dividend_id,
        dividend_type,

        ---------- amounts
        cash_amount,
        currency,
        frequency,

        ---------- dates
        declaration_date,
        ex_dividend_date,
        record_date,
        pay_date,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
