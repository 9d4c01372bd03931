{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('rights_person', person='ssin') }}"]) }}
-- depends_on: {{ ref('int_refresh_rights_people') }}
-- One row per uninterrupted period of right of a person in a grouping, over the ACTIVE rights as of R:
-- PERSON (every CPAS, both aid types: getLivingWagePeriods), PCSA (per CPAS: getLivingWagePeriodsPerPCSA) and
-- PCSA_CATEGORY (per CPAS and aid type: getLivingWages). Overlapping or adjacent periods (one ends the day before
-- the other begins) merge. end_date null = open-ended (a far sentinel date while merging).
-- Incremental: the people of int_refresh_rights_people (every right of a person is merged together).
with active as (
    select ssin, pcsa_cbe_number, category, begin_date, coalesce(end_date, cast('9999-12-31' as date)) as end_date
    from {{ ref('int_rights_folded') }}
    where status = 'ACTIVE' {{ where_in_refresh_scope('rights_person', person='ssin', keyword='and') }}
),

grouped as (
    select 'PERSON' as period_grouping, ssin, cast(null as {{ dbt.type_string() }}) as pcsa_cbe_number,
        cast(null as {{ dbt.type_string() }}) as category, begin_date, end_date
    from active
    union all
    select 'PCSA', ssin, pcsa_cbe_number, cast(null as {{ dbt.type_string() }}), begin_date, end_date from active
    union all
    select 'PCSA_CATEGORY', ssin, pcsa_cbe_number, category, begin_date, end_date from active
),

with_previous_end as (
    select
        grouped.*,
        max(end_date) over (
            partition by period_grouping, ssin, pcsa_cbe_number, category
            order by begin_date, end_date
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from grouped
),

numbered as (
    select
        with_previous_end.*,
        sum(case when previous_end is null or begin_date > {{ next_day('previous_end') }} then 1 else 0 end) over (
            partition by period_grouping, ssin, pcsa_cbe_number, category
            order by begin_date, end_date
            rows between unbounded preceding and current row
        ) as island
    from with_previous_end
),

merged as (
    select period_grouping, ssin, pcsa_cbe_number, category, min(begin_date) as begin_date, max(end_date) as end_date
    from numbered
    group by period_grouping, ssin, pcsa_cbe_number, category, island
)

select
    period_grouping, ssin, pcsa_cbe_number, category, begin_date,
    case when end_date = cast('9999-12-31' as date) then null else end_date end as end_date
from merged
