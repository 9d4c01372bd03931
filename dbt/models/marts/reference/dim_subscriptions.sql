-- One row per notification subscriber.
select cbe_number, with_attestation, endpoint_url
from {{ ref('stg_reference__subscriptions') }}
