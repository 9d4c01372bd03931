-- One row per consultation logged by the service (kernel.audit), allowed or refused.
with source as (
    select * from {{ source('service', 'audit_log') }}
),

renamed as (
    select
        record_id, logged_at, channel, ticket, ticket_cbss, username, cbe_number, legal_context, operation,
        ssin, period_begin, period_end, status_value, status_code, http_status, snapshot_id, duration_ms
    from source
)

select * from renamed
