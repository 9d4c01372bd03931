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
-- month-first order of the refresh models it reads. Each part names the columns it fills (refresh_delta_columns
-- writes every column in order, the others null and typed), so the union is portable.
{% set plan = refresh_plan() %}
select {{ refresh_delta_columns({
    'change': "'BUILD'",
    'reference_date': 'plan.reference_date',
    'incremental_from': 'case when not plan.is_full then plan.previous_recorded_at end',
    'completed_build': '(select max(state.recorded_at) from ' ~ refresh_state_relation() ~ ' as state'
        ~ ' where state.reference_date = plan.reference_date)',
}) }}
from {{ ref('int_refresh_plan') }} as plan
{%- if not plan.full %}
union all
select {{ refresh_delta_columns({'change': "'RECOMPUTED'", 'mart': 'marts.mart',
                                 'beneficiary_ssin': 'scope.beneficiary_ssin', 'month': 'scope.month'}) }}
from {{ ref('int_refresh_scope') }} as scope
cross join (values ('fct_monthly_amounts'), ('fct_monthly_amounts_by_partner')) as marts (mart)
union all
select distinct {{ refresh_delta_columns({'change': "'RECOMPUTED'", 'mart': 'marts.mart',
                                          'beneficiary_ssin': 'scope.beneficiary_ssin', 'year': 'scope.year'}) }}
from {{ ref('int_refresh_scope') }} as scope
cross join (values ('fct_yearly_amounts'), ('fct_yearly_amounts_by_partner')) as marts (mart)
union all
select {{ refresh_delta_columns({'change': "'RECOMPUTED'", 'mart': "'fct_last_indemnified_months'", 'ssin': 'ssin'}) }}
from {{ ref('int_refresh_people') }}
union all
select {{ refresh_delta_columns({'change': "'RECOMPUTED'", 'mart': 'marts.mart', 'right_id': 'rights.right_id'}) }}
from {{ ref('int_refresh_rights') }} as rights
cross join (values ('fct_rights'), ('fct_right_events')) as marts (mart)
{%- for role, mart, person in [('BENEFICIARY', 'fct_monthly_amounts', 'beneficiary_ssin'),
                               ('PARTNER', 'fct_monthly_amounts_by_partner', 'partner_ssin')] %}
{%- for change, month in [('FLAG_CLEARED', 'moved_from'), ('FLAG_SET', 'moved_to')] %}
union all
select {{ refresh_delta_columns({'change': "'" ~ change ~ "'", 'mart': "'" ~ mart ~ "'", person: 'ssin', 'month': month}) }}
from {{ ref('int_last_indemnified_moves') }}
where person_role = '{{ role }}' and {{ month }} is not null
{%- endfor %}
{%- endfor %}
{%- endif %}
