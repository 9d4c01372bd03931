-- One row per consultation logged by the service, with the caller's name.
select
    consultations.record_id,
    consultations.logged_at,
    consultations.channel,
    consultations.cbe_number,
    institutions.name as institution_name,
    consultations.legal_context,
    consultations.operation,
    consultations.status_value,
    consultations.status_code,
    consultations.http_status,
    consultations.duration_ms
from {{ ref('stg_service__consultations') }} as consultations
left join {{ ref('dim_institutions') }} as institutions on consultations.cbe_number = institutions.cbe_number
