-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- depends_on: {{ ref('int_payment_lines_chained') }}
-- One row per person whose last indemnified month this build recomputes (incremental builds only; none in a full
-- build, which recomputes everyone): the beneficiaries and the partners named by any included line of the
-- person-months whose lines changed. A line is never removed (raw tables only grow), so the partners of the rows
-- these months held before the build are among them too. The lines are read from int_payment_lines_chained (every
-- included line, once this build walked its chains), stored month by month: the scan reads the scope's months.
{% set plan = refresh_plan() %}
{% if plan.full %}
select cast(null as {{ dbt.type_string() }}) as ssin where 1 = 0
{% else %}
with changed as (
    select beneficiary_ssin, month from {{ ref('int_refresh_scope') }} where lines_changed
),

lines as (
    select beneficiary_ssin, partner_ssin
    from {{ ref('int_payment_lines_chained') }}
    where month in (select distinct month from changed)
        and (beneficiary_ssin, month) in (select beneficiary_ssin, month from changed)
)

select beneficiary_ssin as ssin from lines
union
select partner_ssin as ssin from lines where partner_ssin is not null
{% endif %}
