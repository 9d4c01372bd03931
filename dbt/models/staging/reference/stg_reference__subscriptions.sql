-- One row per line of reference/subscriptions.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_subscriptions') }}
),

renamed as (
    select cbe_number, with_attestation, endpoint_url
    from source
)

select * from renamed
