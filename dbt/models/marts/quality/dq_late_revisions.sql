-- One row per late revision: an included line for month m accepted on or after the first day of m+7.
select
    line_id,
    beneficiary_ssin as ssin,
    month,
    pcsa_cbe_number,
    allowance_type,
    acceptance_date,
    decision,
    amount,
    age_at_acceptance_months as months_late
from {{ ref('int_payment_lines_included') }}
where age_at_acceptance_months >= 6
