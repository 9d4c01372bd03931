{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('month') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per beneficiary, month, CPAS, allowance type, household category and partner (none included) with
-- at least one current accepted line: the monthly amount row. Amount = sum of the current accepted lines (an
-- accepted 0.00 line makes a row that is not indemnified); finality from the cell; coverage and grant periods
-- from the merged periods (islands), which carry their lines' amounts.
with periods as (
    select * from {{ ref('int_grant_periods_merged') }}
    {{ where_in_refresh_scope('month') }}
),

cells as (
    select * from {{ ref('int_amount_cells_finalised') }}
    {{ where_in_refresh_scope('month') }}
),

rows_from_periods as (
    select
        beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        sum(amount) as amount,
        sum(line_count) as line_count,
        sum(covered_days) as covered_days,
        sum(line_days) as line_days,
        min(begin_date) as first_day,
        max(end_date) as last_day,
        {{ period_list_agg('begin_date', 'end_date') }} as grant_periods
    from periods
    group by beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

grouped as (
    select
        rows_from_periods.beneficiary_ssin,
        rows_from_periods.month,
        rows_from_periods.pcsa_cbe_number,
        rows_from_periods.allowance_type,
        rows_from_periods.household_category,
        rows_from_periods.partner_ssin,
        rows_from_periods.amount,
        rows_from_periods.grant_periods,
        -- every day of the calendar month is covered, and nothing outside it
        (
            rows_from_periods.covered_days
                = {{ days_inclusive('rows_from_periods.month', month_end('rows_from_periods.month')) }}
            and rows_from_periods.first_day = rows_from_periods.month
            and rows_from_periods.last_day = {{ month_end('rows_from_periods.month') }}
        ) as covers_whole_period,
        cells.finality_status,
        cast(rows_from_periods.line_count as {{ dbt.type_int() }}) as line_count,
        rows_from_periods.line_days > rows_from_periods.covered_days as has_overlapping_days,
        rows_from_periods.covered_days
    from rows_from_periods
    inner join cells
        on rows_from_periods.beneficiary_ssin = cells.beneficiary_ssin
        and rows_from_periods.month = cells.month
        and rows_from_periods.pcsa_cbe_number = cells.pcsa_cbe_number
        and rows_from_periods.allowance_type = cells.allowance_type
)

select * from grouped
-- stored in month order, so that a refresh's filters on the month skip the row groups of the others
order by month
