-- One row per beneficiary, month, CPAS, allowance type, household category and partner (none included) with
-- at least one current accepted line: the monthly amount row. Amount = sum of the current accepted lines (an
-- accepted 0.00 line makes a row that is not indemnified); finality from the cell; coverage from the merged
-- grant periods.
with accepted as (
    select * from {{ ref('int_payment_lines_current') }}
    where is_accepted
),

periods as (
    select * from {{ ref('int_grant_periods_merged') }}
),

cells as (
    select * from {{ ref('int_amount_cells_finalised') }}
),

amounts as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        sum(amount) as amount,
        count(*) as line_count
    from accepted
    group by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

coverage as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        sum(covered_days) as covered_days,
        sum(line_days) as line_days,
        min(begin_date) as first_day,
        max(end_date) as last_day
    from periods
    group by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

grouped as (
    select
        amounts.beneficiary_ssin,
        amounts.month,
        amounts.pcsa_cbe_number,
        amounts.allowance_type,
        amounts.household_category,
        amounts.partner_ssin,
        amounts.amount,
        -- every day of the calendar month is covered, and nothing outside it
        (
            coverage.covered_days = {{ days_inclusive('amounts.month', month_end('amounts.month')) }}
            and coverage.first_day = amounts.month
            and coverage.last_day = {{ month_end('amounts.month') }}
        ) as covers_whole_period,
        cells.age_months,
        cells.finality_status,
        cast(amounts.line_count as {{ dbt.type_int() }}) as line_count,
        coverage.line_days > coverage.covered_days as has_overlapping_days,
        coverage.covered_days
    from amounts
    inner join coverage
        on amounts.beneficiary_ssin = coverage.beneficiary_ssin
        and amounts.month = coverage.month
        and amounts.pcsa_cbe_number = coverage.pcsa_cbe_number
        and amounts.allowance_type = coverage.allowance_type
        and amounts.household_category = coverage.household_category
        and amounts.partner_ssin is not distinct from coverage.partner_ssin
    inner join cells
        on amounts.beneficiary_ssin = cells.beneficiary_ssin
        and amounts.month = cells.month
        and amounts.pcsa_cbe_number = cells.pcsa_cbe_number
        and amounts.allowance_type = cells.allowance_type
)

select * from grouped
