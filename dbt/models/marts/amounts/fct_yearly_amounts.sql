-- One row per beneficiary, year, CPAS, allowance type, household category and partner (none included).
with yearly as (
    select * from {{ ref('int_yearly_amounts_grouped') }}
),

periods as (
    select
        beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        {{ period_list_agg('begin_date', 'end_date') }} as grant_periods
    from {{ ref('int_yearly_grant_periods_merged') }}
    group by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
)

select
    yearly.beneficiary_ssin,
    yearly.year,
    yearly.pcsa_cbe_number,
    yearly.allowance_type,
    yearly.household_category,
    yearly.partner_ssin,
    cast(yearly.amount as decimal(12, 2)) as amount,
    periods.grant_periods,
    yearly.covers_whole_period,
    yearly.finality_status,
    yearly.month_count
from yearly
inner join periods
    on yearly.beneficiary_ssin = periods.beneficiary_ssin
    and yearly.year = periods.year
    and yearly.pcsa_cbe_number = periods.pcsa_cbe_number
    and yearly.allowance_type = periods.allowance_type
    and yearly.household_category = periods.household_category
    and yearly.partner_ssin is not distinct from periods.partner_ssin
