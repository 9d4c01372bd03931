{{ config(materialized='view') }}
-- A view: its intermediate is incremental and holds exactly these rows; a table would rewrite them all at every
-- refresh.
-- One row per right that exists as of R (a visible CREATE), with its folded state.
select
    right_id, ssin, pcsa_cbe_number, category, household_category, begin_date, end_date, status,
    subsidy_requested, application_date, decision_date, registration_date, last_event_type, last_sequence,
    last_registration_date, event_count, state_decision_date
from {{ ref('int_rights_folded') }}
