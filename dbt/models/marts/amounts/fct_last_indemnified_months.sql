{{ config(materialized='view') }}
-- A view: its intermediate holds exactly these rows (and the people recomputed to nothing, left out here); a table
-- would copy them all at every refresh.
-- One row per person and role: the latest month with a positive amount (any CPAS, any allowance type).
select ssin, person_role, last_indemnified_month
from {{ ref('int_last_indemnified_months_found') }}
where last_indemnified_month is not null
