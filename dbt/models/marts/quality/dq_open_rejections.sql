-- One row per open rejection: a current rejected line, with the age of its month at R.
select
    line_id,
    beneficiary_ssin as ssin,
    month,
    pcsa_cbe_number,
    allowance_type,
    rejection_code,
    amount,
    age_months,
    age_months >= 6 as is_abandoned
from {{ ref('int_payment_lines_current') }}
where not is_accepted
