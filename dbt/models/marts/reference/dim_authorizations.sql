-- One row per authorisation (institution, operation, legal context, validity, LivingWages V3 elements withheld).
select cbe_number, operation, legal_context, deliberation, valid_from, valid_to, withheld
from {{ ref('stg_reference__authorizations') }}
