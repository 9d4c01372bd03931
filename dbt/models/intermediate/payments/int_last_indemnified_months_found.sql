-- One row per person and role (BENEFICIARY, or PARTNER): the latest month with a positive amount in any CPAS
-- and any allowance type (advances included), over all the data as of R. A person whose rows are all 0.00 in a
-- role has no row for it.
with monthly as (
    select * from {{ ref('int_monthly_amounts_grouped') }}
    where amount > 0
),

by_role as (
    select beneficiary_ssin as ssin, 'BENEFICIARY' as person_role, month from monthly
    union all
    select partner_ssin as ssin, 'PARTNER' as person_role, month from monthly where partner_ssin is not null
),

found as (
    select ssin, person_role, max(month) as last_indemnified_month
    from by_role
    group by ssin, person_role
)

select * from found
