{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false,
          meta={'refresh_scoped': true}, pre_hook=["{{ record_refresh_touch() }}"]) }}
-- depends_on: {{ ref('int_refresh_rights') }}
-- depends_on: {{ ref('stg_reference__authorizations') }}
-- depends_on: {{ ref('stg_reference__integrations') }}
-- depends_on: {{ ref('stg_reference__subscriptions') }}
-- The record of the right events the warehouse has seen visible, and of the notifications each one was due
-- (CONTRACT §6): one row per (event, recipient) when the event first became visible, or one row with no recipient
-- when none was due. Cumulative: a build appends the events visible at R that the record does not hold yet, and
-- never deletes (full_refresh=false: --full-refresh and full plans keep it; see the YAML for the design).
-- Incremental: the events of the rights of int_refresh_rights, the only ones that can have become visible since
-- the last completed build (every visible event in a full plan); the record tells which are new.
with visible as (
    -- applied events (registered on or before R, not after a CANCEL) of rights with a visible CREATE
    select * from {{ ref('int_right_events_visible') }}
    where not is_after_cancel {{ where_in_refresh_scope('right', keyword='and') }}
),

created as (
    select distinct right_id from visible where event_type = 'CREATE'
),

stated as (
    -- the state an event leaves, or for a CANCEL the state it cancels: the latest CREATE or MODIFY up to it
    select
        visible.*,
        max(case when event_type <> 'CANCEL' then sequence end) over (
            partition by right_id order by sequence rows between unbounded preceding and current row
        ) as state_sequence
    from visible
    where visible.right_id in (select created.right_id from created)
),

{% if is_incremental() %}
seen as (
    select distinct event_id from {{ this }} {{ where_in_refresh_scope('right') }}
),
{% endif %}

new_events as (
    select
        stated.event_id,
        stated.right_id,
        cast(stated.sequence as {{ dbt.type_bigint() }}) as sequence,
        stated.event_type,
        stated.registration_date,
        stated.ssin,
        cast(case stated.event_type when 'CREATE' then 0 when 'MODIFY' then 1 else 3 end as {{ dbt.type_int() }})
            as attestation_status,
        state.pcsa_cbe_number,
        state.category,
        state.household_category,
        state.begin_date,
        state.end_date,
        stated.decision_date
    from stated
    inner join stated as state on stated.right_id = state.right_id and stated.state_sequence = state.sequence
    {%- if is_incremental() %}
    left join seen on stated.event_id = seen.event_id
    where seen.event_id is null
    {%- endif %}
)

{% if is_incremental() %}
,

notified as (
    -- institutions authorised for LivingWagesNotifications on the event's registration date
    select distinct cbe_number, valid_from, valid_to
    from {{ ref('stg_reference__authorizations') }}
    where operation = 'LivingWagesNotifications:*'
),

subscribed_integrations as (
    select integrations.cbe_number, integrations.ssin, integrations.begin_date, integrations.end_date
    from {{ ref('stg_reference__integrations') }} as integrations
    where integrations.cbe_number in (select cbe_number from {{ ref('stg_reference__subscriptions') }})
),

recipients as (
    -- subscribed, with the person integrated over a period overlapping the right's (open ends open), authorised
    select distinct new_events.event_id, integrations.cbe_number
    from new_events
    inner join subscribed_integrations as integrations
        on new_events.ssin = integrations.ssin
        and integrations.begin_date <= coalesce(new_events.end_date, cast('9999-12-31' as date))
        and coalesce(integrations.end_date, cast('9999-12-31' as date)) >= new_events.begin_date
    inner join notified
        on integrations.cbe_number = notified.cbe_number
        and notified.valid_from <= new_events.registration_date
        and (notified.valid_to is null or notified.valid_to >= new_events.registration_date)
),

due as (
    select
        new_events.*,
        recipients.cbe_number as recipient_cbe_number,
        subscriptions.endpoint_url,
        subscriptions.with_attestation,
        {{ ticket_digest('new_events.event_id', 'recipients.cbe_number') }} as digest
    from new_events
    left join recipients on new_events.event_id = recipients.event_id
    left join {{ ref('stg_reference__subscriptions') }} as subscriptions
        on recipients.cbe_number = subscriptions.cbe_number
)

select
    due.event_id, due.right_id, due.sequence, due.event_type, due.registration_date, due.ssin,
    due.attestation_status, due.pcsa_cbe_number, due.category, due.household_category, due.begin_date,
    due.end_date, due.decision_date,
    {{ reference_date() }} as due_reference_date,
    false as is_initial_load,
    due.recipient_cbe_number,
    due.endpoint_url,
    due.with_attestation,
    case when due.recipient_cbe_number is not null then {{ uuid_from_md5('due.digest') }} end as ticket_cbss
from due

{% else %}

-- the first build: the whole history is seen, and nothing of it is notified
select
    new_events.*,
    {{ reference_date() }} as due_reference_date,
    true as is_initial_load,
    cast(null as {{ dbt.type_string() }}) as recipient_cbe_number,
    cast(null as {{ dbt.type_string() }}) as endpoint_url,
    cast(null as {{ dbt.type_boolean() }}) as with_attestation,
    cast(null as {{ dbt.type_string() }}) as ticket_cbss
from new_events

{% endif %}
