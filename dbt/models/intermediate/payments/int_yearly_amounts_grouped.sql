-- One row per beneficiary, year, CPAS, allowance type, household category and partner: the monthly rows of the
-- year rolled up. Amount = sum of the months; month_count = months with a row; coverage from the yearly merged
-- periods; finality = the least final of its months.
-- Decision: "its months" are the months where this key has a row, plus the rejection-only cells (no row at all)
-- of the same beneficiary, year, CPAS and allowance type: their open rejection can still bring a re-introduced
-- amount into the year, so a yearly row is not FINAL while such a cell is CONSOLIDATING or PROVISIONAL.
with monthly as (
    select
        monthly.*,
        cast(extract(year from month) as {{ dbt.type_int() }}) as year
    from {{ ref('int_monthly_amounts_grouped') }} as monthly
),

rejection_only_cells as (
    select
        beneficiary_ssin,
        cast(extract(year from month) as {{ dbt.type_int() }}) as year,
        pcsa_cbe_number,
        allowance_type,
        min({{ finality_rank('finality_status') }}) as finality_rank
    from {{ ref('int_amount_cells_finalised') }}
    where not has_row
    group by 1, 2, 3, 4
),

coverage as (
    select
        beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        sum(covered_days) as covered_days,
        sum(line_days) as line_days
    from {{ ref('int_yearly_grant_periods_merged') }}
    group by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

rolled_up as (
    select
        beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        sum(amount) as amount,
        count(*) as month_count,
        min({{ finality_rank('finality_status') }}) as finality_rank
    from monthly
    group by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

grouped as (
    select
        rolled_up.beneficiary_ssin,
        rolled_up.year,
        rolled_up.pcsa_cbe_number,
        rolled_up.allowance_type,
        rolled_up.household_category,
        rolled_up.partner_ssin,
        rolled_up.amount,
        coverage.covered_days = {{ dbt.datediff(
            "cast(cast(rolled_up.year as " ~ dbt.type_string() ~ ") || '-01-01' as date)",
            "cast(cast(rolled_up.year + 1 as " ~ dbt.type_string() ~ ") || '-01-01' as date)",
            'day') }} as covers_whole_period,
        {{ finality_from_rank(
            'case when rejection_only_cells.finality_rank < rolled_up.finality_rank '
            ~ 'then rejection_only_cells.finality_rank else rolled_up.finality_rank end') }} as finality_status,
        cast(rolled_up.month_count as {{ dbt.type_int() }}) as month_count,
        coverage.line_days > coverage.covered_days as has_overlapping_days
    from rolled_up
    inner join coverage
        on rolled_up.beneficiary_ssin = coverage.beneficiary_ssin
        and rolled_up.year = coverage.year
        and rolled_up.pcsa_cbe_number = coverage.pcsa_cbe_number
        and rolled_up.allowance_type = coverage.allowance_type
        and rolled_up.household_category = coverage.household_category
        and rolled_up.partner_ssin is not distinct from coverage.partner_ssin
    left join rejection_only_cells
        on rolled_up.beneficiary_ssin = rejection_only_cells.beneficiary_ssin
        and rolled_up.year = rejection_only_cells.year
        and rolled_up.pcsa_cbe_number = rejection_only_cells.pcsa_cbe_number
        and rolled_up.allowance_type = rejection_only_cells.allowance_type
)

select * from grouped
