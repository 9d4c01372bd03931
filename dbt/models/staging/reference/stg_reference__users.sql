-- One row per line of reference/users.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_users') }}
),

renamed as (
    select username, password_hash, role, cbe_number
    from source
)

select * from renamed
