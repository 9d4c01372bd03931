{{ config(materialized='view') }}
-- A view: the filter of the source at R (ages depend on R, so storing them would go stale between refreshes).
-- One row per included line: a payment line accepted (or rejected) by SPP IS on or before cutoff(R).
-- A line decided after cutoff(R) is invisible to this refresh, whatever its benefit month.
with lines as (
    select * from {{ ref('stg_upstream__payment_lines') }}
),

included as (
    select
        lines.*,
        {{ days_inclusive('begin_date', 'end_date') }} as line_days,
        -- age of the line's month at R (drives finality)
        {{ month_age('month') }} as age_months,
        -- age of the line's month when SPP IS decided the line: 6 or more means accepted on or after the first
        -- day of m+7, after the month was FINAL by age (a late revision)
        {{ month_age('month', 'acceptance_date') }} as age_at_acceptance_months
    from lines
    where acceptance_date <= {{ cutoff() }}
)

select * from included
