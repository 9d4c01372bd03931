-- One row per dashboard user.
select username, password_hash, role, cbe_number
from {{ ref('stg_reference__users') }}
