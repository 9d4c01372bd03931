{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('month') }}"],
          post_hook="{{ repair_last_indemnified_flags('PARTNER', 'partner_ssin') }}") }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- depends_on: {{ ref('int_refresh_people') }}
-- depends_on: {{ ref('fct_refresh_delta') }}
-- One row per partner, month, CPAS, allowance type, household category and beneficiary: the monthly rows that
-- name a partner, seen from the partner (queries with personRole PARTNER).
with monthly as (
    select * from {{ ref('fct_monthly_amounts') }}
    where partner_ssin is not null {{ where_in_refresh_scope('month', keyword='and') }}
),

last_indemnified as (
    select ssin, last_indemnified_month
    from {{ ref('int_last_indemnified_months_found') }}
    where person_role = 'PARTNER'
)

select
    monthly.partner_ssin,
    monthly.month,
    monthly.pcsa_cbe_number,
    monthly.allowance_type,
    monthly.household_category,
    monthly.beneficiary_ssin,
    monthly.amount,
    monthly.grant_periods,
    monthly.covers_whole_period,
    monthly.finality_status,
    coalesce(monthly.month = last_indemnified.last_indemnified_month, false) as is_last_indemnified_month
from monthly
left join last_indemnified on monthly.partner_ssin = last_indemnified.ssin
-- stored in month order, so that a refresh's filters on the month skip the row groups of the others
order by monthly.month
