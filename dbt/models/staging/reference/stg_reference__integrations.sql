-- One row per line of reference/integrations.csv, as loaded by the refresh.
with source as (
    select * from {{ source('reference', 'ref_integrations') }}
),

renamed as (
    select cbe_number, ssin, quality_code, begin_date, end_date
    from source
)

select * from renamed
