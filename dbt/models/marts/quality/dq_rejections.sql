-- One row per acceptance month, CPAS, allowance type and rejection code: every included rejected line
-- (replaced or not), by the month SPP IS rejected it.
select
    {{ month_of('acceptance_date') }} as acceptance_month,
    pcsa_cbe_number,
    allowance_type,
    coalesce(rejection_code, 'UNKNOWN') as rejection_code,
    cast(count(*) as bigint) as lines,
    cast(sum(amount) as decimal(18, 2)) as amount
from {{ ref('int_payment_lines_included') }}
where decision = 'REJECTED'
group by 1, 2, 3, 4
