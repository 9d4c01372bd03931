{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('year') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per uninterrupted grant period of a yearly row (beneficiary, year, CPAS, allowance type, household
-- category, partner): the monthly periods of the year merged again, so 31 January and 1 February join. Each
-- period carries what the yearly row sums: its amount, the months it starts (a month counts once, on its first
-- period) and the least final status of its months (rank 1 PROVISIONAL .. 3 FINAL).
with periods as (
    select * from {{ ref('int_grant_periods_merged') }}
    {{ where_in_refresh_scope('year', column='cast(extract(year from month) as ' ~ dbt.type_int() ~ ')',
                              month_column='month') }}
),

cells as (
    -- filtered like the periods: joining the periods of the scope to every cell would hash every cell
    select beneficiary_ssin, month, pcsa_cbe_number, allowance_type, finality_status
    from {{ ref('int_amount_cells_finalised') }}
    {{ where_in_refresh_scope('year', column='cast(extract(year from month) as ' ~ dbt.type_int() ~ ')',
                              month_column='month') }}
),

monthly_periods as (
    select
        periods.beneficiary_ssin,
        cast(extract(year from periods.month) as {{ dbt.type_int() }}) as year,
        periods.pcsa_cbe_number, periods.allowance_type, periods.household_category, periods.partner_ssin,
        periods.month, periods.begin_date, periods.end_date, periods.line_days, periods.amount,
        {{ finality_rank('cells.finality_status') }} as finality_rank
    from periods
    inner join cells
        on periods.beneficiary_ssin = cells.beneficiary_ssin
        and periods.month = cells.month
        and periods.pcsa_cbe_number = cells.pcsa_cbe_number
        and periods.allowance_type = cells.allowance_type
),

with_previous_end as (
    select
        monthly_periods.*,
        max(end_date) over (
            partition by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
            order by begin_date, end_date
            rows between unbounded preceding and 1 preceding
        ) as previous_end,
        lag(month) over (
            partition by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
            order by begin_date, end_date
        ) as previous_month
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
        sum(line_days) as line_days,
        sum(amount) as amount,
        -- periods are ordered by day, so a month's periods are consecutive: count a month on its first one
        sum(case when previous_month is null or previous_month <> month then 1 else 0 end) as months_started,
        min(finality_rank) as finality_rank
    from numbered
    group by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin, island
)

select
    islands.*,
    {{ days_inclusive('begin_date', 'end_date') }} as covered_days
from islands
-- stored in year order, so that a refresh's filters on the year skip the row groups of the others
order by year
