-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
-- One row per person-month (beneficiary, benefit month) this build recomputes, with its year, the first reason
-- found and whether lines of it changed. Full build: every person-month of the raw lines. Incremental build: the
-- person-months of the lines included since the last completed build, those of the lines they replace (a
-- replacement may move to another month or person), and every person-month of the months whose finality can
-- change with age alone: those whose age crossed 3 or 6 since the last completed build's R (two months a month).
-- A person-month is the unit of recomputation: every row of the amounts (all CPAS, allowance types, categories,
-- partners) and every year of a person derive from the lines of the person's months only.
{% set plan = refresh_plan() %}
{#- The lines are read from the staging view in each branch, never from a shared CTE: a CTE read twice is
    materialised whole (37 million lines at Belgian scale) before any branch's filter can skip row groups. -#}
{% set lines = ref('stg_upstream__payment_lines') %}
with
{% if plan.full %}
reasons as (
    select beneficiary_ssin, month, 'FULL: {{ plan.reason | replace("'", "''") }}' as reason, true as lines_changed
    from {{ lines }}
),
{% else %}
new_lines as (
    {{ select_newly_included(plan, 'line_id, replaces_line_id, beneficiary_ssin, month',
                             '(select * from ' ~ lines ~ ' where acceptance_date <= ' ~ cutoff() ~ ') as included') }}
),

reasons as (
    select beneficiary_ssin, month, 'NEW_LINES' as reason, true as lines_changed from new_lines
    union all
    select lines.beneficiary_ssin, lines.month, 'REPLACED_LINES' as reason, true as lines_changed
    from {{ lines }} as lines
    inner join new_lines on new_lines.replaces_line_id = lines.line_id
    union all
    select beneficiary_ssin, month, 'AGE_WINDOW' as reason, false as lines_changed
    from {{ lines }}
    -- the months whose age crossed 3 or 6 between the previous A(R) and A(R) (their finality can move without a
    -- new line), told by the lines' first day (a line lies inside its month) so the scan skips the other months
    where {% for boundary in (3, 6) -%}
        {% if not loop.first %}or {% endif -%}
        (begin_date >= {{ add_months("cast('" ~ amounts_date_of(plan.previous_reference_date) ~ "' as date)", -boundary) }}
            and begin_date < {{ add_months(amounts_date(), -boundary) }})
    {% endfor %}
),
{% endif %}

person_months as (
    select
        beneficiary_ssin,
        month,
        -- the reasons sort AGE_WINDOW < FULL < NEW_LINES < REPLACED_LINES: the line reasons win over age
        max(reason) as reason,
        {{ dbt.bool_or('lines_changed') }} as lines_changed
    from reasons
    group by beneficiary_ssin, month
)

select
    beneficiary_ssin,
    month,
    cast(extract(year from month) as {{ dbt.type_int() }}) as year,
    reason,
    lines_changed
from person_months
