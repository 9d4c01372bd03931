-- One row per integration of a person in an institution's dossier repertory.
select cbe_number, ssin, quality_code, begin_date, end_date
from {{ ref('stg_reference__integrations') }}
