-- One row per quarantine of an upstream file.
with source as (
    select * from {{ source('ledger', 'quarantined_files') }}
),

renamed as (
    select
        quarantine_id, file_name, kind, file_id, sha256, quarantined_at, reason, line_no, field,
        errors as error_count, released_at
    from source
)

select * from renamed
