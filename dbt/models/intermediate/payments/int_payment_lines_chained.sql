{{ config(materialized=refresh_scoped_materialization(), incremental_strategy='append', meta={'refresh_scoped': true},
          pre_hook=["{{ record_refresh_touch() }}", "{{ clear_recomputed_rows('line') }}"]) }}
-- depends_on: {{ ref('int_refresh_lines') }}
-- One row per included line, with its place in its replacement chain: the chain's first line (root), its depth,
-- the included line that replaces it, and whether it is current (no included line replaces it, whatever that
-- line's decision: a rejected correction also ends the line it replaces).
-- Chains are walked forward from their roots by a recursive CTE bounded by var max_chain_depth, so a loop can
-- never hang the build: a line in a loop has no root (nothing outside the loop leads to it) and is left with
-- root_line_id null, which the singular test assert_no_replacement_loop reports by line.
-- Incremental: only the lines of int_refresh_lines are walked again (and replace their previous rows); nothing
-- here depends on R but which lines are included, so the other rows stay true.
{#- The lines to walk: in an incremental build those of int_refresh_lines (which read them, with their columns,
    from the included lines), else every included line. -#}
{%- set lines = ref('int_refresh_lines') if in_incremental_scope() else ref('int_payment_lines_included') %}
with recursive

included as (
    -- the keys alone: the chains are walked on them, and this CTE, read three times, is materialised whole (with
    -- every column, the full build at Belgian scale ran out of memory: bench/README.md); the columns are joined at
    -- the end
    select line_id, replaces_line_id from {{ lines }}
),

replacements as (
    -- each included line that replaces another included line
    select replacing.line_id, replacing.replaces_line_id
    from included as replacing
    inner join included as replaced on replacing.replaces_line_id = replaced.line_id
),

roots as (
    -- lines that replace no included line start a chain
    select included.line_id
    from included
    left join replacements on included.line_id = replacements.line_id
    where replacements.line_id is null
),

chain_roots as (
    -- only roots that are replaced need walking; every other root is a chain of one
    select roots.line_id
    from roots
    where exists (select 1 from replacements where replacements.replaces_line_id = roots.line_id)
),

walked (line_id, root_line_id, chain_depth) as (
    select line_id, line_id, 0 from chain_roots
    union all
    select replacements.line_id, walked.root_line_id, walked.chain_depth + 1
    from walked
    inner join replacements on replacements.replaces_line_id = walked.line_id
    where walked.chain_depth < {{ var('max_chain_depth') }}
),

replaced_by as (
    select replaces_line_id as line_id, min(line_id) as replaced_by_line_id, count(*) as replacement_count
    from replacements
    group by replaces_line_id
),

chained as (
    select
        included.line_id, included.replaces_line_id, included.file_id, included.line_no, included.pcsa_cbe_number,
        included.beneficiary_ssin, included.partner_ssin, included.allowance_type, included.household_category,
        included.begin_date, included.end_date, included.month, included.amount, included.payment_date,
        included.acceptance_date, included.decision, included.rejection_code, included.line_days,
        included.age_at_acceptance_months,
        case
            when walked.root_line_id is not null then walked.root_line_id
            when replacing.line_id is null then included.line_id
        end as root_line_id,
        case
            when walked.root_line_id is not null then walked.chain_depth
            when replacing.line_id is null then 0
        end as chain_depth,
        replaced_by.replaced_by_line_id,
        coalesce(replaced_by.replacement_count, 0) as replacement_count,
        replaced_by.line_id is null as is_current
    from {{ lines }} as included
    left join walked on included.line_id = walked.line_id
    left join replacements as replacing on included.line_id = replacing.line_id
    left join replaced_by on included.line_id = replaced_by.line_id
)

select * from chained
{% if in_incremental_scope() -%}
-- stored in month order, so that a refresh's filters on the month skip the row groups of the others; a full build
-- writes the lines in the order they were loaded, files of a month at a time: sorting all of them here ran out of
-- memory at Belgian scale, where unsorted the model is cheap (bench/README.md)
order by month
{%- endif %}
