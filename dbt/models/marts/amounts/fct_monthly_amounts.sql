{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('month') }}"],
          post_hook="{{ repair_last_indemnified_flags('BENEFICIARY', 'beneficiary_ssin') }}") }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- depends_on: {{ ref('int_refresh_people') }}
-- depends_on: {{ ref('fct_refresh_delta') }}
-- One row per beneficiary, month, CPAS, allowance type, household category and partner (none included):
-- the monthly amounts as the consultation service answers them (see the YAML for the binding definitions).
-- Incremental: the person-months of int_refresh_scope; the post-hook then moves the last-indemnified flag of the
-- people whose last indemnified month moved to or from a row outside the scope.
with monthly as (
    select * from {{ ref('int_monthly_amounts_grouped') }}
    {{ where_in_refresh_scope('month') }}
),

last_indemnified as (
    select ssin, last_indemnified_month
    from {{ ref('int_last_indemnified_months_found') }}
    where person_role = 'BENEFICIARY'
)

select
    monthly.beneficiary_ssin,
    monthly.month,
    monthly.pcsa_cbe_number,
    monthly.allowance_type,
    monthly.household_category,
    monthly.partner_ssin,
    cast(monthly.amount as decimal(12, 2)) as amount,
    monthly.grant_periods,
    monthly.covers_whole_period,
    monthly.finality_status,
    coalesce(monthly.month = last_indemnified.last_indemnified_month, false) as is_last_indemnified_month,
    monthly.line_count,
    monthly.has_overlapping_days
from monthly
left join last_indemnified on monthly.beneficiary_ssin = last_indemnified.ssin
-- stored in month order, so that a refresh's filters on the month skip the row groups of the others
order by monthly.month
