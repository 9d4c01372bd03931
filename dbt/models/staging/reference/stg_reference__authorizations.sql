-- One row per line of reference/authorizations.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_authorizations') }}
),

renamed as (
    -- withheld: the LivingWages V3 elements withheld, ';'-separated ('' for none; a warehouse loaded before the
    -- column existed has NULL there until its next reference load)
    select cbe_number, operation, legal_context, deliberation, valid_from, valid_to, coalesce(withheld, '') as withheld
    from source
)

select * from renamed
