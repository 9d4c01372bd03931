{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('right') }}"]) }}
-- depends_on: {{ ref('int_refresh_rights') }}
-- One row per right that exists as of R: its visible events folded in sequence order. A right with no visible
-- CREATE does not exist; a MODIFY replaces period, category and household category; a CANCEL removes the right
-- (status CANCELLED, the last state kept for history); events after a CANCEL are ignored.
-- Decisions: application, decision and registration dates are the CREATE's (when the right was granted);
-- subsidy_requested follows the latest applied CREATE/MODIFY; last_* and event_count count applied events only.
-- state_decision_date is the decision date of the current state (the latest applied CREATE or MODIFY), which
-- LivingWages V3 answers with: for an ACTIVE right, last_* then describe the event that made that state.
-- Incremental: the rights of int_refresh_rights.
with applied as (
    select * from {{ ref('int_right_events_visible') }}
    where not is_after_cancel {{ where_in_refresh_scope('right', keyword='and') }}
),

ranked as (
    -- row numbers instead of QUALIFY, which not every adapter has
    select
        applied.*,
        row_number() over (partition by right_id, event_type = 'CREATE' order by sequence) as create_order,
        row_number() over (partition by right_id, event_type = 'CANCEL' order by sequence desc) as state_order,
        row_number() over (partition by right_id order by sequence desc) as event_order,
        count(*) over (partition by right_id) as event_count
    from applied
),

created as (
    select * from ranked where event_type = 'CREATE' and create_order = 1
),

latest_state as (
    -- the latest CREATE or MODIFY
    select * from ranked where event_type <> 'CANCEL' and state_order = 1
),

latest_event as (
    select right_id, event_type, sequence, registration_date, event_count from ranked where event_order = 1
),

folded as (
    select
        created.right_id,
        created.ssin,
        created.pcsa_cbe_number,
        latest_state.category,
        latest_state.household_category,
        latest_state.begin_date,
        latest_state.end_date,
        case when latest_event.event_type = 'CANCEL' then 'CANCELLED' else 'ACTIVE' end as status,
        latest_state.subsidy_requested,
        created.application_date,
        created.decision_date,
        created.registration_date,
        latest_event.event_type as last_event_type,
        latest_event.sequence as last_sequence,
        latest_event.registration_date as last_registration_date,
        cast(latest_event.event_count as {{ dbt.type_int() }}) as event_count,
        latest_state.decision_date as state_decision_date
    from created
    inner join latest_state on created.right_id = latest_state.right_id
    inner join latest_event on created.right_id = latest_event.right_id
)

select * from folded
