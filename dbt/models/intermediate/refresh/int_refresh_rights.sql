-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
-- One row per right whose visible events changed since the last completed build (incremental builds only; none in
-- a full build, which recomputes every right): an event of it registered after the last build's R (and on or
-- before this R), or delivered in a file loaded after that build. Its events and its folded state are
-- recomputed; nothing else about a right depends on R.
{% set plan = refresh_plan() %}
with events as (
    select right_id, registration_date, file_id from {{ ref('stg_upstream__right_events') }}
    where registration_date <= {{ reference_date() }}
)

{% if plan.full %}
select distinct right_id from events where 1 = 0
{% else %}
select distinct right_id
from events
where registration_date > cast('{{ plan.previous_reference_date }}' as date)
    {%- if plan.previous_loaded_at is not none %}
    or file_id in (
        select file_id from {{ ref('stg_ledger__loaded_files') }}
        where loaded_at > cast('{{ plan.previous_loaded_at }}' as timestamp)
    )
    {%- else %}
    or true
    {%- endif %}
{% endif %}
