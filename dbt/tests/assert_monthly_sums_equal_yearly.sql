-- Rule: a yearly row's amount is the sum of its months, and every yearly row has its monthly rows (DOMAIN.md
-- "Yearly grouping"). Returns the yearly keys whose amount or month count differs from the monthly rows. Checked for
-- the person-years this build recomputed (all of them in a full build).
with monthly as (
    select
        beneficiary_ssin, cast(extract(year from month) as integer) as year, pcsa_cbe_number, allowance_type,
        household_category, partner_ssin, sum(amount) as amount, count(*) as month_count
    from {{ ref('fct_monthly_amounts') }}
    where {{ refresh_scope_filter('year', column='cast(extract(year from month) as integer)', month_column='month') }}
    group by 1, 2, 3, 4, 5, 6
)

select yearly.*, monthly.amount as monthly_amount, monthly.month_count as monthly_month_count
from (
    select * from {{ ref('fct_yearly_amounts') }}
    where {{ refresh_scope_filter('year') }}
) as yearly
full outer join monthly
    on yearly.beneficiary_ssin = monthly.beneficiary_ssin
    and yearly.year = monthly.year
    and yearly.pcsa_cbe_number = monthly.pcsa_cbe_number
    and yearly.allowance_type = monthly.allowance_type
    and yearly.household_category = monthly.household_category
    and yearly.partner_ssin is not distinct from monthly.partner_ssin
where yearly.amount is distinct from monthly.amount
   or yearly.month_count is distinct from monthly.month_count
