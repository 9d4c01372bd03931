-- One row per quarantine of an upstream file.
select quarantine_id, file_name, kind, file_id, quarantined_at, reason, line_no, field, error_count as errors,
    released_at
from {{ ref('stg_ledger__quarantined_files') }}
