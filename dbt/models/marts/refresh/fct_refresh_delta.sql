{{ config(materialized='view', pre_hook="{{ create_refresh_state() }}") }}
-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- depends_on: {{ ref('int_refresh_people') }}
-- depends_on: {{ ref('int_refresh_rights') }}
-- depends_on: {{ ref('int_last_indemnified_moves') }}
-- The delta of this build, for whoever brings a copy of the marts up to date (publication) and for the monthly
-- marts' flag repair: what the build recomputed, told once here from the refresh models, so that no reader
-- writes the scope predicates again. One row per
--   BUILD: the build (R, the completed build it was incremental from, none when full, and the completed build
--     recorded for R, read from intermediate.refresh_state when this view is read);
--   RECOMPUTED: a key of a mart whose rows the build deleted and wrote again, in the mart's own columns (its
--     person-month, person-year, person or right);
--   FLAG_CLEARED / FLAG_SET: a row (person, month) of a monthly mart whose last-indemnified flag the build turns
--     off / on, recomputed or not (the person's last indemnified month moved from / to that month).
-- A full build recomputes every row: only its BUILD row. A view: it costs nothing to build, and is read in the
-- month-first order of the refresh models it reads. (DuckDB's union by name: each part fills only its columns.)
{% set plan = refresh_plan() %}
with layout as (
    -- the columns, typed; each part below names only those it fills (union by name), the others are null
    select
        cast(null as {{ dbt.type_string() }}) as change,
        cast(null as {{ dbt.type_string() }}) as mart,
        cast(null as {{ dbt.type_string() }}) as beneficiary_ssin,
        cast(null as {{ dbt.type_string() }}) as partner_ssin,
        cast(null as {{ dbt.type_string() }}) as ssin,
        cast(null as date) as month,
        cast(null as {{ dbt.type_int() }}) as year,
        cast(null as {{ dbt.type_string() }}) as right_id,
        cast(null as date) as reference_date,
        cast(null as {{ dbt.type_timestamp() }}) as incremental_from,
        cast(null as {{ dbt.type_timestamp() }}) as completed_build
    where false
)

select * from layout
union all by name
select
    'BUILD' as change,
    plan.reference_date,
    case when not plan.is_full then plan.previous_recorded_at end as incremental_from,
    (
        select max(state.recorded_at) from {{ refresh_state_relation() }} as state
        where state.reference_date = plan.reference_date
    ) as completed_build
from {{ ref('int_refresh_plan') }} as plan
{%- if not plan.full %}
union all by name
select 'RECOMPUTED' as change, marts.mart, scope.beneficiary_ssin, scope.month
from {{ ref('int_refresh_scope') }} as scope
cross join (values ('fct_monthly_amounts'), ('fct_monthly_amounts_by_partner')) as marts (mart)
union all by name
select distinct 'RECOMPUTED' as change, marts.mart, scope.beneficiary_ssin, scope.year
from {{ ref('int_refresh_scope') }} as scope
cross join (values ('fct_yearly_amounts'), ('fct_yearly_amounts_by_partner')) as marts (mart)
union all by name
select 'RECOMPUTED' as change, 'fct_last_indemnified_months' as mart, ssin
from {{ ref('int_refresh_people') }}
union all by name
select 'RECOMPUTED' as change, marts.mart, rights.right_id
from {{ ref('int_refresh_rights') }} as rights
cross join (values ('fct_rights'), ('fct_right_events')) as marts (mart)
{%- for role, mart, person in [('BENEFICIARY', 'fct_monthly_amounts', 'beneficiary_ssin'),
                               ('PARTNER', 'fct_monthly_amounts_by_partner', 'partner_ssin')] %}
{%- for change, month in [('FLAG_CLEARED', 'moved_from'), ('FLAG_SET', 'moved_to')] %}
union all by name
select '{{ change }}' as change, '{{ mart }}' as mart, ssin as {{ person }}, {{ month }} as month
from {{ ref('int_last_indemnified_moves') }}
where person_role = '{{ role }}' and {{ month }} is not null
{%- endfor %}
{%- endfor %}
{%- endif %}
