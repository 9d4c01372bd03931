{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('right') }}"]) }}
-- depends_on: {{ ref('int_refresh_rights') }}
-- One row per right event registered on or before R (an event registered later is invisible to this refresh),
-- with its delays and whether an earlier visible CANCEL of the same right makes it ignored.
-- Incremental: the events of the rights of int_refresh_rights (a right's events are computed together).
with events as (
    select * from {{ ref('stg_upstream__right_events') }}
    where registration_date <= {{ reference_date() }} {{ where_in_refresh_scope('right', keyword='and') }}
),

cancels as (
    select right_id, min(sequence) as cancel_sequence
    from events
    where event_type = 'CANCEL'
    group by right_id
),

visible as (
    select
        events.*,
        -- LT05 measures the compiled line, and days_between's expansion is what is long
        cast({{ days_between('application_date', 'decision_date') }} as {{ dbt.type_int() }})  -- noqa: LT05
            as decision_delay_days,
        cast({{ days_between('decision_date', 'registration_date') }} as {{ dbt.type_int() }})  -- noqa: LT05
            as registration_delay_days,
        coalesce(events.sequence > cancels.cancel_sequence, false) as is_after_cancel
    from events
    left join cancels on events.right_id = cancels.right_id
)

select
    visible.*,
    decision_delay_days > 30 as is_late_decision,
    registration_delay_days > 7 as is_late_registration
from visible
