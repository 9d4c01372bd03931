{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('whole_month') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per month, CPAS, allowance type, household category and finality status: the dashboards' totals
-- (agg_monthly_pcsa adds the region). Incremental: every row of the months of int_refresh_scope (totals over everyone).
-- Rejected lines are the current rejected lines (open rejections) of the month, under their cell's status; a
-- group with only open rejections has rows = 0.
with monthly as (
    select * from {{ ref('fct_monthly_amounts') }}
    {{ where_in_refresh_scope('whole_month') }}
),

open_rejections as (
    select
        current_lines.month,
        current_lines.pcsa_cbe_number,
        current_lines.allowance_type,
        current_lines.household_category,
        cells.finality_status,
        count(*) as rejected_lines
    from {{ ref('int_payment_lines_current') }} as current_lines
    inner join (
        -- a cell with a current rejected line has an open rejection: only those are joined
        select beneficiary_ssin, month, pcsa_cbe_number, allowance_type, finality_status
        from {{ ref('int_amount_cells_finalised') }}
        where has_open_rejection {{ where_in_refresh_scope('whole_month', keyword='and') }}
    ) as cells
        on current_lines.beneficiary_ssin = cells.beneficiary_ssin
        and current_lines.month = cells.month
        and current_lines.pcsa_cbe_number = cells.pcsa_cbe_number
        and current_lines.allowance_type = cells.allowance_type
    where not current_lines.is_accepted
        {{ where_in_refresh_scope('whole_month', column='current_lines.month', keyword='and') }}
    group by 1, 2, 3, 4, 5
),

amounts as (
    select
        month,
        pcsa_cbe_number,
        allowance_type,
        household_category,
        finality_status,
        count(distinct beneficiary_ssin) as beneficiaries,
        count(*) as row_count,
        sum(case when covers_whole_period then 0 else 1 end) as partial_rows,
        sum(amount) as amount,
        sum(line_count) as accepted_lines
    from monthly
    group by 1, 2, 3, 4, 5
),

combined as (
    select
        coalesce(amounts.month, open_rejections.month) as month,
        coalesce(amounts.pcsa_cbe_number, open_rejections.pcsa_cbe_number) as pcsa_cbe_number,
        coalesce(amounts.allowance_type, open_rejections.allowance_type) as allowance_type,
        coalesce(amounts.household_category, open_rejections.household_category) as household_category,
        coalesce(amounts.finality_status, open_rejections.finality_status) as finality_status,
        coalesce(amounts.beneficiaries, 0) as beneficiaries,
        coalesce(amounts.row_count, 0) as row_count,
        coalesce(amounts.partial_rows, 0) as partial_rows,
        coalesce(amounts.amount, 0) as amount,
        coalesce(amounts.accepted_lines, 0) as accepted_lines,
        coalesce(open_rejections.rejected_lines, 0) as rejected_lines
    from amounts
    full outer join open_rejections
        on amounts.month = open_rejections.month
        and amounts.pcsa_cbe_number = open_rejections.pcsa_cbe_number
        and amounts.allowance_type = open_rejections.allowance_type
        and amounts.household_category = open_rejections.household_category
        and amounts.finality_status = open_rejections.finality_status
)

select
    month,
    pcsa_cbe_number,
    allowance_type,
    household_category,
    finality_status,
    cast(beneficiaries as bigint) as beneficiaries,
    cast(row_count as bigint) as row_count,
    cast(partial_rows as bigint) as partial_rows,
    cast(amount as decimal(18, 2)) as amount,
    cast(accepted_lines as bigint) as accepted_lines,
    cast(rejected_lines as bigint) as rejected_lines
from combined
