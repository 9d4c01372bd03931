{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('year') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per partner, year, CPAS, allowance type, household category and beneficiary.
select
    partner_ssin,
    year,
    pcsa_cbe_number,
    allowance_type,
    household_category,
    beneficiary_ssin,
    amount,
    grant_periods,
    covers_whole_period,
    finality_status,
    month_count
from {{ ref('fct_yearly_amounts') }}
where partner_ssin is not null {{ where_in_refresh_scope('year', keyword='and') }}
-- stored in year order, so that a refresh's filters on the year skip the row groups of the others
order by year
