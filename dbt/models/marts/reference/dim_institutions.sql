-- One row per partner institution (no credentials: see dim_institution_credentials).
select cbe_number, name, sector
from {{ ref('stg_reference__institutions') }}
