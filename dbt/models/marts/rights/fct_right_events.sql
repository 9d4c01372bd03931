{{ config(materialized='view') }}
-- A view: its intermediate is incremental and holds exactly these rows; a table would rewrite them all at every
-- refresh.
-- One row per right event registered on or before R, with its delays and flags.
select
    event_id, right_id, sequence, event_type, ssin, pcsa_cbe_number, category, household_category, begin_date,
    end_date, application_date, decision_date, registration_date, subsidy_requested, decision_delay_days,
    registration_delay_days, is_late_decision, is_late_registration, is_after_cancel
from {{ ref('int_right_events_visible') }}
