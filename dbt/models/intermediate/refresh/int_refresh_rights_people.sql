-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('int_refresh_rights') }}
-- depends_on: {{ ref('stg_upstream__right_events') }}
-- One row per person whose visible rights changed since the last completed build (incremental builds only; none
-- in a full build): the people named by any visible event of a right of int_refresh_rights (the right's old and
-- new state are both among them). Their merged periods of right are recomputed and their payment lines checked
-- against their rights again.
{% set plan = refresh_plan() %}
{% if plan.full %}
select cast(null as {{ dbt.type_string() }}) as ssin where 1 = 0
{% else %}
select distinct ssin
from {{ ref('stg_upstream__right_events') }}
where registration_date <= {{ reference_date() }}
    and right_id in (select right_id from {{ ref('int_refresh_rights') }})
{% endif %}
