-- One row per line of reference/authorizations.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_authorizations') }}
),

renamed as (
    select cbe_number, operation, legal_context, deliberation, valid_from, valid_to
    from source
)

select * from renamed
