{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('month') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per cell (beneficiary, month, CPAS, allowance type) with at least one current line, and its finality
-- status at R, shared by every row of the cell (all household categories and partners).
-- Decision: a cell whose only current lines are rejected (has_row false) makes no amount row, but its open
-- rejection still makes the cell CONSOLIDATING at age 3 to 5; the yearly roll-up counts such a cell too.
-- Incremental: the person-months of int_refresh_scope are recomputed; an older month is FINAL by age and stays so.
with current_lines as (
    select * from {{ ref('int_payment_lines_current') }}
    {{ where_in_refresh_scope('month') }}
),

cells as (
    select
        beneficiary_ssin,
        month,
        pcsa_cbe_number,
        allowance_type,
        max(age_months) as age_months,
        sum(case when is_accepted then 1 else 0 end) as accepted_lines,
        sum(case when is_accepted then 0 else 1 end) as open_rejections
    from current_lines
    group by beneficiary_ssin, month, pcsa_cbe_number, allowance_type
),

finalised as (
    select
        beneficiary_ssin,
        month,
        pcsa_cbe_number,
        allowance_type,
        accepted_lines > 0 as has_row,
        open_rejections,
        open_rejections > 0 as has_open_rejection,
        {{ finality_status('age_months', 'open_rejections > 0') }} as finality_status
    from cells
)

select * from finalised
-- stored in month order, so that a refresh's filters on the month skip the row groups of the others
order by month
