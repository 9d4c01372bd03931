-- One row per uninterrupted grant period of a yearly row (beneficiary, year, CPAS, allowance type, household
-- category, partner): the monthly periods of the year merged again, so 31 January and 1 February join.
with monthly_periods as (
    select
        beneficiary_ssin,
        cast(extract(year from month) as {{ dbt.type_int() }}) as year,
        pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        begin_date, end_date, line_days
    from {{ ref('int_grant_periods_merged') }}
),

with_previous_end as (
    select
        monthly_periods.*,
        max(end_date) over (
            partition by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
            order by begin_date, end_date
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from monthly_periods
),

numbered as (
    select
        with_previous_end.*,
        sum(case when previous_end is null or begin_date > {{ next_day('previous_end') }} then 1 else 0 end) over (
            partition by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
            order by begin_date, end_date
            rows between unbounded preceding and current row
        ) as island
    from with_previous_end
),

islands as (
    select
        beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        min(begin_date) as begin_date,
        max(end_date) as end_date,
        sum(line_days) as line_days
    from numbered
    group by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin, island
)

select
    islands.*,
    {{ days_inclusive('begin_date', 'end_date') }} as covered_days
from islands
