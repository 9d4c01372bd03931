{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('year') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per beneficiary, year, CPAS, allowance type, household category and partner (none included).
select
    beneficiary_ssin,
    year,
    pcsa_cbe_number,
    allowance_type,
    household_category,
    partner_ssin,
    cast(amount as decimal(12, 2)) as amount,
    grant_periods,
    covers_whole_period,
    finality_status,
    month_count
from {{ ref('int_yearly_amounts_grouped') }}
{{ where_in_refresh_scope('year') }}
-- stored in year order, so that a refresh's filters on the year skip the row groups of the others
order by year
