{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('new_line') }}"]) }}
-- depends_on: {{ ref('int_refresh_lines') }}
-- One row per late revision: an included line for month m accepted on or after the first day of m+7.
-- Incremental: the late lines among those included since the last completed build are added.
select
    line_id,
    beneficiary_ssin as ssin,
    month,
    pcsa_cbe_number,
    allowance_type,
    acceptance_date,
    decision,
    amount,
    age_at_acceptance_months as months_late
from {{ ref('int_payment_lines_included') }}
where age_at_acceptance_months >= 6 {{ where_in_refresh_scope('new_line', keyword='and') }}
