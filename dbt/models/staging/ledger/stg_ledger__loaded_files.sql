-- One row per loaded upstream file.
with source as (
    select * from {{ source('ledger', 'loaded_files') }}
),

renamed as (
    select file_id, kind, file_name, sha256, rows as row_count, created_at, loaded_at, reporting_month
    from source
)

select * from renamed
