{{ config(
    materialized=refresh_scoped_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['ssin', 'person_role'],
    meta={'refresh_scoped': true},
    pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows(none) }}"],
) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- depends_on: {{ ref('int_refresh_people') }}
-- One row per person and role (BENEFICIARY, or PARTNER): the latest month with a positive amount in any CPAS
-- and any allowance type (advances included), over all the data as of R, with last_beneficiary_ssin, the
-- beneficiary of one positive row of that month (the person, as beneficiary). Full build: a person whose rows are
-- all 0.00 in a role has no row for it.
-- Incremental, for the people of int_refresh_people (those named by a line of a person-month whose lines
-- changed): the rows outside the scope's person-months did not change, so the new month is the latest of
--   - the previous month, when the row that made it (last_beneficiary_ssin, month) is outside the scope: it is
--     still there and still positive, and no row outside the scope is later;
--   - the positive rows of the scope's person-months (the month's partition only: the scan skips the others);
--   - for the few people whose previous month's row was recomputed from changed lines: every one of their rows.
-- Each person of the scope gets a row, its month null when nothing is indemnified any more (fct_last_indemnified_
-- months leaves those out); previous_last_indemnified_month keeps the month the last completed build left, so the
-- monthly marts and publication repair the flags of the people whose month moved, in those two months only.
-- After builds that did not complete (a recovering plan), a row they rewrote (computed_at after the last completed
-- build) is not the previous state: the month before them is its previous_last_indemnified_month, and its person's
-- month is found again from every row (their row of the last completed build is not known any more). In any
-- other build no row is that recent, so the same SQL holds.
{%- set monthly = ref('int_monthly_amounts_grouped') %}
{%- set roles = [('BENEFICIARY', 'beneficiary_ssin'), ('PARTNER', 'partner_ssin')] %}
{%- if in_incremental_scope() %}
{%- set completed_at = "cast('" ~ refresh_plan().previous_recorded_at ~ "' as timestamp)" %}
with stored as (
    select
        ssin, person_role, last_indemnified_month, last_beneficiary_ssin, previous_last_indemnified_month,
        coalesce(computed_at > {{ completed_at }}, false) as is_rewritten
    from {{ this }}
    where ssin in (select ssin from {{ ref('int_refresh_people') }})
),

previous as (
    -- the month as the last completed build left it
    select
        ssin,
        person_role,
        case when is_rewritten then previous_last_indemnified_month else last_indemnified_month end
            as last_indemnified_month,
        last_beneficiary_ssin,
        is_rewritten
    from stored
),

recomputed_previous as (
    -- the previous month's row was recomputed: the person's month is found again from every row
    select previous.ssin, previous.person_role
    from previous
    inner join {{ ref('int_refresh_scope') }} as scope
        on previous.last_beneficiary_ssin = scope.beneficiary_ssin
        and previous.last_indemnified_month = scope.month
    -- a person-month in scope by age alone has the same rows: its positive rows are still there
    where scope.lines_changed and not previous.is_rewritten
    union all
    -- rewritten by a build that did not complete: the row that made the month before it is not known
    select ssin, person_role from previous where is_rewritten
),

candidates as (
    select ssin, person_role, last_indemnified_month as month, last_beneficiary_ssin as beneficiary_ssin
    from previous
    where last_indemnified_month is not null
        and (ssin, person_role) not in (select ssin, person_role from recomputed_previous)
    {%- for role, column in roles %}
    union all
    select {{ column }} as ssin, '{{ role }}' as person_role, month, beneficiary_ssin
    from {{ monthly }}
    where amount > 0 {{ where_in_refresh_scope('month', keyword='and') }}
        and {{ column }} in (select ssin from {{ ref('int_refresh_people') }})
    union all
    select {{ column }} as ssin, '{{ role }}' as person_role, month, beneficiary_ssin
    from {{ monthly }}
    where amount > 0
        and {{ column }} in (select ssin from recomputed_previous where person_role = '{{ role }}')
    {%- endfor %}
),

people as (
    -- every person and role recomputed: those with a previous row, and those with a positive row now
    select ssin, person_role from previous
    union
    select ssin, person_role from candidates
),
{%- else %}
with candidates as (
    {%- for role, column in roles %}
    {% if not loop.first %}union all{% endif %}
    select {{ column }} as ssin, '{{ role }}' as person_role, month, beneficiary_ssin
    from {{ monthly }}
    where amount > 0 {% if role == 'PARTNER' %}and partner_ssin is not null{% endif %}
    {%- endfor %}
),

people as (
    select distinct ssin, person_role from candidates
),
{%- endif %}

latest as (
    select ssin, person_role, max(month) as last_indemnified_month
    from candidates
    group by ssin, person_role
),

found as (
    select
        latest.ssin,
        latest.person_role,
        latest.last_indemnified_month,
        min(candidates.beneficiary_ssin) as last_beneficiary_ssin
    from latest
    inner join candidates
        on latest.ssin = candidates.ssin
        and latest.person_role = candidates.person_role
        and latest.last_indemnified_month = candidates.month
    group by latest.ssin, latest.person_role, latest.last_indemnified_month
)

select
    people.ssin,
    people.person_role,
    found.last_indemnified_month,
    found.last_beneficiary_ssin,
    {%- if in_incremental_scope() %}
    previous.last_indemnified_month as previous_last_indemnified_month,
    {%- else %}
    cast(null as date) as previous_last_indemnified_month,
    {%- endif %}
    -- when this build wrote the row (a build that does not complete leaves rows newer than the last completed one)
    cast(current_timestamp as timestamp) as computed_at
from people
left join found on people.ssin = found.ssin and people.person_role = found.person_role
{%- if in_incremental_scope() %}
left join previous on people.ssin = previous.ssin and people.person_role = previous.person_role
{%- endif %}
