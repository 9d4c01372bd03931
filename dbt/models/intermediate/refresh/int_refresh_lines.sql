-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
-- One row per included line whose replacement chain this build walks again (incremental builds only; none in a
-- full build, which walks every chain): the lines that became included since the last completed build, and every
-- included line of the people concerned by a replacement among them (a chain stays within one person, so walking
-- the person's lines whole gives the same chains as a full walk).
{% set plan = refresh_plan() %}
{#- The included lines are read in each branch, never from a shared CTE: a CTE read twice is materialised whole
    (37 million lines at Belgian scale). -#}
{% set included = ref('int_payment_lines_included') %}
{#- Every column int_payment_lines_chained needs: it reads these lines from here, not from the 37 million. -#}
{% set columns -%}
    line_id, replaces_line_id, file_id, line_no, pcsa_cbe_number, beneficiary_ssin, partner_ssin, allowance_type,
    household_category, begin_date, end_date, month, amount, payment_date, acceptance_date, decision,
    rejection_code, line_days, age_at_acceptance_months
{%- endset %}
with
{% if plan.full %}
new_lines as (
    select {{ columns }} from {{ included }} where 1 = 0
),
{% else %}
new_lines as (
    {{ select_newly_included(plan, columns, included) }}
),
{% endif %}

people_with_replacements as (
    -- a new line replaces a line, or an already included line replaces a new one (its file came late)
    select beneficiary_ssin from new_lines where replaces_line_id is not null
    union
    select included.beneficiary_ssin
    from {{ included }} as included
    inner join new_lines on included.replaces_line_id = new_lines.line_id
),

rechained as (
    select {{ columns }}, true as is_new from new_lines
    union all
    select {{ columns }}, false as is_new
    from {{ included }}
    where beneficiary_ssin in (select beneficiary_ssin from people_with_replacements)
        and line_id not in (select line_id from new_lines)
)

select * from rechained
