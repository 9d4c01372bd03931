-- One row per line of reference/pcsa.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_pcsa') }}
),

renamed as (
    select cbe_number, nis_code, name_fr, name_nl, region
    from source
)

select * from renamed
