{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('year') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- One row per beneficiary, year, CPAS, allowance type, household category and partner: the monthly rows of the
-- year rolled up, as sums over the year's merged periods. Amount = sum of the months; month_count = months with
-- a row; coverage from the yearly merged periods; finality = the least final of its months.
-- Decision: "its months" are the months where this key has a row, plus the rejection-only cells (no row at all)
-- of the same beneficiary, year, CPAS and allowance type: their open rejection can still bring a re-introduced
-- amount into the year, so a yearly row is not FINAL while such a cell is CONSOLIDATING or PROVISIONAL.
with periods as (
    select * from {{ ref('int_yearly_grant_periods_merged') }}
    {{ where_in_refresh_scope('year') }}
),

rejection_only_cells as (
    select
        beneficiary_ssin,
        cast(extract(year from month) as {{ dbt.type_int() }}) as year,
        pcsa_cbe_number,
        allowance_type,
        min({{ finality_rank('finality_status') }}) as finality_rank
    from {{ ref('int_amount_cells_finalised') }}
    where not has_row
        {{ where_in_refresh_scope('year', column='cast(extract(year from month) as ' ~ dbt.type_int() ~ ')',
                                  keyword='and', month_column='month') }}
    group by 1, 2, 3, 4
),

rolled_up as (
    select
        beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        sum(amount) as amount,
        sum(months_started) as month_count,
        min(finality_rank) as finality_rank,
        sum(covered_days) as covered_days,
        sum(line_days) as line_days,
        {{ period_list_agg('begin_date', 'end_date') }} as grant_periods
    from periods
    group by beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin
),

grouped as (
    select
        rolled_up.beneficiary_ssin,
        rolled_up.year,
        rolled_up.pcsa_cbe_number,
        rolled_up.allowance_type,
        rolled_up.household_category,
        rolled_up.partner_ssin,
        rolled_up.amount,
        rolled_up.grant_periods,
        rolled_up.covered_days = {{ days_between(
            "cast(cast(rolled_up.year as " ~ dbt.type_string() ~ ") || '-01-01' as date)",
            "cast(cast(rolled_up.year + 1 as " ~ dbt.type_string() ~ ") || '-01-01' as date)") }} as covers_whole_period,
        {{ finality_from_rank(
            'case when rejection_only_cells.finality_rank < rolled_up.finality_rank '
            ~ 'then rejection_only_cells.finality_rank else rolled_up.finality_rank end') }} as finality_status,
        cast(rolled_up.month_count as {{ dbt.type_int() }}) as month_count,
        rolled_up.line_days > rolled_up.covered_days as has_overlapping_days
    from rolled_up
    left join rejection_only_cells
        on rolled_up.beneficiary_ssin = rejection_only_cells.beneficiary_ssin
        and rolled_up.year = rejection_only_cells.year
        and rolled_up.pcsa_cbe_number = rejection_only_cells.pcsa_cbe_number
        and rolled_up.allowance_type = rejection_only_cells.allowance_type
)

select * from grouped
-- stored in year order, so that a refresh's filters on the year skip the row groups of the others
order by year
