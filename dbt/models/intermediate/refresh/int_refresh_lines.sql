-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
-- One row per included line whose replacement chain this build walks again (incremental builds only; none in a
-- full build, which walks every chain): the lines that became included since the last completed build, and every
-- included line of the people concerned by a replacement among them (a chain stays within one person, so walking
-- the person's lines whole gives the same chains as a full walk).
{% set plan = refresh_plan() %}
with included as (
    select line_id, replaces_line_id, beneficiary_ssin, acceptance_date, file_id
    from {{ ref('int_payment_lines_included') }}
),

{% if plan.full %}
new_lines as (
    select line_id, replaces_line_id, beneficiary_ssin from included where 1 = 0
),
{% else %}
new_lines as (
    select line_id, replaces_line_id, beneficiary_ssin from included where {{ newly_included(plan) }}
),
{% endif %}

people_with_replacements as (
    -- a new line replaces a line, or an already included line replaces a new one (its file came late)
    select beneficiary_ssin from new_lines where replaces_line_id is not null
    union
    select included.beneficiary_ssin
    from included
    inner join new_lines on included.replaces_line_id = new_lines.line_id
),

rechained as (
    select included.line_id, included.beneficiary_ssin, true as is_new
    from included
    inner join new_lines on included.line_id = new_lines.line_id
    union all
    select included.line_id, included.beneficiary_ssin, false as is_new
    from included
    inner join people_with_replacements on included.beneficiary_ssin = people_with_replacements.beneficiary_ssin
    where included.line_id not in (select line_id from new_lines)
)

select * from rechained
