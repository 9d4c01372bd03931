-- One row per beneficiary, month, CPAS, allowance type, household category and partner (none included):
-- the monthly amounts as the consultation service answers them (see the YAML for the binding definitions).
with monthly as (
    select * from {{ ref('int_monthly_amounts_grouped') }}
),

periods as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        {{ period_list_agg('begin_date', 'end_date') }} as grant_periods
    from {{ ref('int_grant_periods_merged') }}
    group by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

last_indemnified as (
    select ssin, last_indemnified_month
    from {{ ref('int_last_indemnified_months_found') }}
    where person_role = 'BENEFICIARY'
)

select
    monthly.beneficiary_ssin,
    monthly.month,
    monthly.pcsa_cbe_number,
    monthly.allowance_type,
    monthly.household_category,
    monthly.partner_ssin,
    cast(monthly.amount as decimal(12, 2)) as amount,
    periods.grant_periods,
    monthly.covers_whole_period,
    monthly.finality_status,
    coalesce(monthly.month = last_indemnified.last_indemnified_month, false) as is_last_indemnified_month,
    monthly.line_count,
    monthly.has_overlapping_days
from monthly
inner join periods
    on monthly.beneficiary_ssin = periods.beneficiary_ssin
    and monthly.month = periods.month
    and monthly.pcsa_cbe_number = periods.pcsa_cbe_number
    and monthly.allowance_type = periods.allowance_type
    and monthly.household_category = periods.household_category
    and monthly.partner_ssin is not distinct from periods.partner_ssin
left join last_indemnified on monthly.beneficiary_ssin = last_indemnified.ssin
