{{ refresh_scoped("{{ clear_refresh_scope('person', person='ssin') }}") }}
-- depends_on: {{ ref('int_refresh_people') }}
-- One row per person and role (BENEFICIARY, or PARTNER): the latest month with a positive amount in any CPAS
-- and any allowance type (advances included), over all the data as of R. A person whose rows are all 0.00 in a
-- role has no row for it.
-- Incremental: the people of int_refresh_people (those named by a line of a person-month whose lines changed),
-- over all their months; a person's last indemnified month moves only when their rows do.
{#- Each role reads the monthly rows itself: a CTE read twice would be materialised whole before the filters. -#}
{% set monthly = ref('int_monthly_amounts_grouped') %}
with by_role as (
    -- each role filtered on its own column: one semi-join each, where an or of the two would test every row twice
    select beneficiary_ssin as ssin, 'BENEFICIARY' as person_role, month from {{ monthly }}
    where amount > 0 {{ where_in_refresh_scope('person', keyword='and') }}
    union all
    select partner_ssin as ssin, 'PARTNER' as person_role, month from {{ monthly }}
    where amount > 0 and partner_ssin is not null
        {{ where_in_refresh_scope('person', person='partner_ssin', keyword='and') }}
),

found as (
    select ssin, person_role, max(month) as last_indemnified_month
    from by_role
    group by ssin, person_role
)

select * from found
