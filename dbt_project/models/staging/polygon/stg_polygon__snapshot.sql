with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'snapshot', {
            'ticker': 'text', 'snapshot_at': 'timestamptz',
            'todays_change': 'numeric', 'todays_change_perc': 'numeric',
            'updated': 'bigint', 'fmv': 'numeric',
            'day__o': 'numeric', 'day__h': 'numeric', 'day__l': 'numeric',
            'day__c': 'numeric', 'day__v': 'numeric', 'day__vw': 'numeric',
            'prev_day__o': 'numeric', 'prev_day__h': 'numeric',
            'prev_day__l': 'numeric', 'prev_day__c': 'numeric',
            'prev_day__v': 'numeric', 'prev_day__vw': 'numeric',
            'min__o': 'numeric', 'min__h': 'numeric', 'min__l': 'numeric',
            'min__c': 'numeric', 'min__v': 'numeric', 'min__vw': 'numeric',
            'min__av': 'numeric', 'min__t': 'bigint', 'min__n': 'bigint',
            'last_trade__p': 'numeric', 'last_trade__s': 'numeric',
            'last_trade__x': 'bigint', 'last_trade__i': 'text',
            'last_trade__t': 'bigint', 'last_trade__c': 'jsonb',
            'last_quote__ask_price': 'numeric',
            'last_quote__ask_size': 'numeric',
            'last_quote__bid_price': 'numeric',
            'last_quote__bid_size': 'numeric', 'last_quote__t': 'bigint',
            '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        ticker as symbol,

        ---------- today so far
        day__o as day_open,
        day__h as day_high,
        day__l as day_low,
        day__c as day_close,
        day__v as day_volume,
        day__vw as day_vwap,
        todays_change,
        todays_change_perc as todays_change_pct,
        fmv,

        ---------- previous session
        prev_day__o as prev_day_open,
        prev_day__h as prev_day_high,
        prev_day__l as prev_day_low,
        prev_day__c as prev_day_close,
        prev_day__v as prev_day_volume,
        prev_day__vw as prev_day_vwap,

        ---------- latest minute
        min__o as minute_open,
        min__h as minute_high,
        min__l as minute_low,
        min__c as minute_close,
        min__v as minute_volume,
        min__vw as minute_vwap,
        min__av as accumulated_volume,
        min__n as minute_transactions,

        ---------- last trade and quote
        last_trade__p as last_trade_price,
        last_trade__s as last_trade_size,
        last_trade__x as last_trade_exchange_id,
        last_trade__i as last_trade_id,
        last_trade__c as last_trade_conditions,
        last_quote__bid_price as bid_price,
        last_quote__bid_size as bid_size,
        last_quote__ask_price as ask_price,
        last_quote__ask_size as ask_size,

        ---------- when the snapshot was taken (response Date header)
        snapshot_at,

        ---------- lineage
        _dlt_load_id as load_id,

        ---------- timestamps: Polygon sends epoch ms (minute) and ns (others)
        {{ epoch_ms_to_timestamp('min__t') }} as minute_start_at,
        to_timestamp(last_trade__t / 1e9) as last_trade_at,
        to_timestamp(last_quote__t / 1e9) as last_quote_at,
        to_timestamp(updated / 1e9) as updated_at

    from source

)

select * from renamed
