{{ config(materialized='view') }}
-- One row per notification due (right event, recipient) that became due within the window before R
-- (LWW_NOTIFY_WINDOW_DAYS, default 90): what a snapshot publishes for the notifier, which imports rows by
-- ticket_cbss, so the overlap of successive snapshots is harmless and a missed publication loses nothing.
-- A view over the cumulative record (int_right_event_recipients), which is kept whole in the warehouse.
select
    ticket_cbss,
    due_reference_date,
    recipient_cbe_number,
    endpoint_url,
    with_attestation,
    event_id,
    right_id,
    sequence,
    event_type,
    registration_date,
    ssin,
    attestation_status,
    pcsa_cbe_number,
    category,
    household_category,
    begin_date,
    end_date,
    decision_date
from {{ ref('int_right_event_recipients') }}
where
    recipient_cbe_number is not null
    and due_reference_date <= {{ reference_date() }}
    and due_reference_date > {{ add_days(reference_date(), -notify_window_days()) }}
