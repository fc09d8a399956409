with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'ticker_details', {
            'ticker': 'text', 'cik': 'text', 'composite_figi': 'text',
            'share_class_figi': 'text', 'ticker_root': 'text',
            'ticker_suffix': 'text', 'name': 'text', 'description': 'text',
            'market': 'text', 'locale': 'text', 'primary_exchange': 'text',
            'type': 'text', 'currency_name': 'text', 'sic_code': 'text',
            'sic_description': 'text', 'homepage_url': 'text',
            'phone_number': 'text', 'address__address1': 'text',
            'address__address2': 'text', 'address__city': 'text',
            'address__state': 'text', 'address__postal_code': 'text',
            'branding__logo_url': 'text', 'branding__icon_url': 'text',
            'market_cap': 'numeric',
            'share_class_shares_outstanding': 'numeric',
            'weighted_shares_outstanding': 'numeric',
            'total_employees': 'bigint', 'round_lot': 'bigint',
            'active': 'boolean', 'list_date': 'date',
            'delisted_utc': 'timestamptz', 'as_of_date': 'date',
            '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        ticker as symbol,
        cik,
        composite_figi,
        share_class_figi,
        ticker_root,
        ticker_suffix,

        ---------- descriptors
        name,
        description,
        market,
        locale,
        primary_exchange,
        type as type_code,
        currency_name,
        sic_code,
        sic_description,
        homepage_url,
        phone_number,
        address__address1 as address_line1,
        address__address2 as address_line2,
        address__city as city,
        address__state as state,
        address__postal_code as postal_code,
        branding__logo_url as logo_url,
        branding__icon_url as icon_url,

        ---------- size
        market_cap,
        share_class_shares_outstanding,
        weighted_shares_outstanding,
        total_employees,
        round_lot,

        ---------- flags
        active as is_active,

        ---------- dates
        list_date,
        delisted_utc as delisted_at,
        as_of_date,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
