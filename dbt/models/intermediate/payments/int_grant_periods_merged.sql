{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('month') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per uninterrupted grant period of a monthly row (beneficiary, month, CPAS, allowance type, household
-- category, partner): the day ranges of the row's current accepted lines, merged when they overlap or are
-- adjacent (gaps and islands). line_days > covered_days means days counted twice (overlapping lines).
-- Each island also carries its lines' amount and count, so the rows and the years are sums over islands
-- (no join back to the lines at 45 million rows).
with accepted as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        begin_date, end_date, line_days, amount
    from {{ ref('int_payment_lines_current') }}
    where is_accepted {{ where_in_refresh_scope('month', keyword='and') }}
),

with_previous_end as (
    select
        accepted.*,
        max(end_date) over (
            partition by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
            order by begin_date, end_date
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from accepted
),

island_starts as (
    select
        with_previous_end.*,
        case when previous_end is null or begin_date > {{ next_day('previous_end') }} then 1 else 0 end
            as starts_island
    from with_previous_end
),

numbered as (
    select
        island_starts.*,
        sum(starts_island) over (
            partition by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
            order by begin_date, end_date
            rows between unbounded preceding and current row
        ) as island
    from island_starts
),

islands as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        min(begin_date) as begin_date,
        max(end_date) as end_date,
        sum(line_days) as line_days,
        sum(amount) as amount,
        count(*) as line_count
    from numbered
    group by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin, island
)

select
    islands.*,
    {{ days_inclusive('begin_date', 'end_date') }} as covered_days
from islands
-- stored in month order, so that a refresh's filters on the month skip the row groups of the others
order by month
