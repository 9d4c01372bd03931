-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
-- One row per included line whose replacement chain this build walks again (incremental builds only; none in a full
-- build, which walks every chain): the lines that became included since the last completed build, and every line
-- of the chains they join: the chain of a line a new line replaces, and the chain of an already included line that
-- replaces a new one (its file came late). Those chains are told by the previous build's int_payment_lines_chained
-- (root_line_id), which also holds their lines' columns: a chain stays whole, and nothing else is read again.
{% set plan = refresh_plan() %}
{#- Every column int_payment_lines_chained needs: it reads these lines from here, not from the 37 million. -#}
{% set columns -%}
    line_id, replaces_line_id, file_id, line_no, pcsa_cbe_number, beneficiary_ssin, partner_ssin, allowance_type,
    household_category, begin_date, end_date, month, amount, payment_date, acceptance_date, decision,
    rejection_code, line_days, age_at_acceptance_months
{%- endset %}
{% if plan.full %}
select {{ columns }}, true as is_new from {{ ref('int_payment_lines_included') }} where 1 = 0
{% else %}
{#- The chained lines are read without a ref: this model runs before int_payment_lines_chained walks them again,
    and reads what the previous build left (the relation exists: an incremental plan follows a completed build). -#}
{% set chained = api.Relation.create(database=target.database, schema=this.schema,
                                     identifier='int_payment_lines_chained') %}
with new_lines as (
    {{ select_newly_included(plan, columns, ref('int_payment_lines_included')) }}
),

touched_roots as (
    -- the chains of the lines new lines replace, and of the included lines that replace a new one; a line in a
    -- loop has no root: it is taken alone, below (one scan of the three key columns)
    select root_line_id from {{ chained }}
    where (
        line_id in (select replaces_line_id from new_lines where replaces_line_id is not null)
        or replaces_line_id in (select line_id from new_lines)
    )
        and root_line_id is not null
),

touched as (
    select line_id, month from {{ chained }} where root_line_id in (select root_line_id from touched_roots)
    union
    select line_id, month from {{ chained }}
    where line_id in (select replaces_line_id from new_lines where replaces_line_id is not null)
),

walked_again as (
    -- their columns, read in their months only (the table is stored month by month): a filter on the line alone
    -- would read every column of every chained line
    select {{ columns }} from {{ chained }}
    where month in (select distinct month from touched) and line_id in (select line_id from touched)
),

rechained as (
    select {{ columns }}, true as is_new from new_lines
    union all
    select {{ columns }}, false as is_new from walked_again
    where line_id not in (select line_id from new_lines)
)

select * from rechained
{% endif %}
