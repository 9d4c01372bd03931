-- One row per institution that may authenticate to the service (password hashes only).
select cbe_number, username, password_hash
from {{ ref('stg_reference__institutions') }}
