-- One row per person and role: the latest month with a positive amount (any CPAS, any allowance type).
select ssin, person_role, last_indemnified_month
from {{ ref('int_last_indemnified_months_found') }}
