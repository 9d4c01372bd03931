-- One row per month, CPAS, allowance type, household category and finality status: the dashboards' totals
-- (int_monthly_pcsa_totals) with the CPAS's region. Rejected lines are the current rejected lines (open
-- rejections) of the month, under their cell's status; a group with only open rejections has rows = 0.
select
    totals.month,
    totals.pcsa_cbe_number,
    pcsa.region,
    totals.allowance_type,
    totals.household_category,
    totals.finality_status,
    totals.beneficiaries,
    totals.row_count as rows,
    totals.partial_rows,
    totals.amount,
    totals.accepted_lines,
    totals.rejected_lines
from {{ ref('int_monthly_pcsa_totals') }} as totals
left join {{ ref('dim_pcsa') }} as pcsa on totals.pcsa_cbe_number = pcsa.cbe_number
