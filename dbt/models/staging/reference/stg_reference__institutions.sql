-- One row per line of reference/institutions.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_institutions') }}
),

renamed as (
    select cbe_number, name, cast(sector as {{ dbt.type_int() }}) as sector, username, password_hash
    from source
)

select * from renamed
