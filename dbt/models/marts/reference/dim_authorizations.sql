-- One row per authorisation (institution, operation, legal context, validity).
select cbe_number, operation, legal_context, deliberation, valid_from, valid_to
from {{ ref('stg_reference__authorizations') }}
