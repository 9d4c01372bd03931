{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows(['month', 'rights_person'], person='ssin') }}"]) }}
-- depends_on: {{ ref('int_refresh_scope') }}
-- depends_on: {{ ref('int_refresh_rights_people') }}
-- One row per current accepted LIVING_WAGE / EQUIVALENT_LIVING_WAGE line with days outside every ACTIVE right of
-- the same person, CPAS and aid type. A signal, never a filter: rights and amounts are separate sources.
-- Incremental: the lines of the scope's person-months, and every line of the people whose visible rights changed.
{#- The current accepted lines are read in each branch, never from a shared CTE: a CTE read twice is materialised
    whole (every current line) before the branches' filters. -#}
{%- set accepted -%}
    select line_id, beneficiary_ssin, month, pcsa_cbe_number, allowance_type, amount, begin_date, end_date,
        line_days
    from {{ ref('int_payment_lines_current') }}
    where is_accepted and allowance_type in ('LIVING_WAGE', 'EQUIVALENT_LIVING_WAGE')
{%- endset %}
with lines as (
    {% if in_incremental_scope() -%}
    -- a union of the two filters: one semi-join each, where an or of the two would test every line twice
    {{ accepted }} and {{ refresh_scope_filter('month') }}
    union
    {{ accepted }} and {{ refresh_scope_filter('rights_person') }}
    {%- else -%}
    {{ accepted }}
    {%- endif %}
),

rights as (
    select ssin, pcsa_cbe_number, category, begin_date, coalesce(end_date, cast('9999-12-31' as date)) as end_date
    from {{ ref('int_right_periods_merged') }}
    where period_grouping = 'PCSA_CATEGORY'
    {% if in_incremental_scope() -%}
        and ssin in (select beneficiary_ssin from lines)
    {%- endif %}
),

covered as (
    -- merged periods never overlap, so the overlaps add up to the covered days
    select
        lines.line_id,
        sum(
            {{ days_between(
                'case when lines.begin_date > rights.begin_date then lines.begin_date else rights.begin_date end',
                'case when lines.end_date < rights.end_date then lines.end_date else rights.end_date end') }} + 1
        ) as covered_days
    from lines
    inner join rights
        on lines.beneficiary_ssin = rights.ssin
        and lines.pcsa_cbe_number = rights.pcsa_cbe_number
        and lines.allowance_type = rights.category
        and lines.begin_date <= rights.end_date
        and lines.end_date >= rights.begin_date
    group by lines.line_id
)

select
    lines.line_id,
    lines.beneficiary_ssin as ssin,
    lines.month,
    lines.pcsa_cbe_number,
    lines.allowance_type,
    lines.amount,
    cast(lines.line_days - coalesce(covered.covered_days, 0) as {{ dbt.type_int() }}) as days_outside
from lines
left join covered on lines.line_id = covered.line_id
where lines.line_days > coalesce(covered.covered_days, 0)
