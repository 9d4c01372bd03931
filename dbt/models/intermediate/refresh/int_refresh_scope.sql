-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
-- One row per benefit month this build recomputes, and why (the first reason found). Full build: every month of
-- the raw lines. Incremental build: the months of the lines included since the last completed build, the months
-- of the lines they replace (a replacement may move to another month), and the months whose finality can change
-- with age alone: those whose age crossed 3 or 6 since the last completed build's R (two months a month).
{% set plan = refresh_plan() %}
with lines as (
    select line_id, replaces_line_id, month, acceptance_date, file_id
    from {{ ref('stg_upstream__payment_lines') }}
),

{% if plan.full %}
months as (
    select distinct month, 'FULL: {{ plan.reason | replace("'", "''") }}' as reason from lines
),
{% else %}
new_lines as (
    select line_id, replaces_line_id, month
    from lines
    where acceptance_date <= {{ cutoff() }} and {{ newly_included(plan) }}
),

reasons as (
    select month, 'NEW_LINES' as reason from new_lines
    union all
    select lines.month, 'REPLACED_LINES' as reason
    from lines
    inner join new_lines on new_lines.replaces_line_id = lines.line_id
    union all
    select month, 'AGE_WINDOW' as reason
    from lines
    -- the months whose age crossed 3 or 6 between the previous R and R (their finality can move without a new line)
    where {% for boundary in (3, 6) -%}
        {% if not loop.first %}or {% endif -%}
        (month > {{ add_months("cast('" ~ plan.previous_reference_date ~ "' as date)", -(boundary + 1)) }}
            and month <= {{ add_months(reference_date(), -(boundary + 1)) }})
    {% endfor %}
),

months as (
    select month, min(reason) as reason from reasons group by month
),
{% endif %}

scoped as (
    select
        month,
        cast(extract(year from month) as {{ dbt.type_int() }}) as year,
        reason
    from months
)

select * from scoped
