-- Rule: every monthly amount row is made of current accepted lines (DOMAIN.md "Row key"): its line_count and
-- amount equal those of the current accepted lines with the row's key. Returns the rows that differ. Checked for
-- the person-months this build recomputed (all of them in a full build): the others were checked when computed.
with lines as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        count(*) as line_count, sum(amount) as amount
    from {{ ref('int_payment_lines_current') }}
    where is_accepted and {{ refresh_scope_filter('month') }}
    group by 1, 2, 3, 4, 5, 6
)

select rows.*, lines.line_count as lines_found, lines.amount as lines_amount
from {{ ref('fct_monthly_amounts') }} as rows
left join lines
    on rows.beneficiary_ssin = lines.beneficiary_ssin
    and rows.month = lines.month
    and rows.pcsa_cbe_number = lines.pcsa_cbe_number
    and rows.allowance_type = lines.allowance_type
    and rows.household_category = lines.household_category
    and rows.partner_ssin is not distinct from lines.partner_ssin
where {{ refresh_scope_filter('month', column='rows.month', person='rows.beneficiary_ssin') }}
  and (
    lines.line_count is null
   or lines.line_count <> rows.line_count
    or lines.amount <> rows.amount
  )
