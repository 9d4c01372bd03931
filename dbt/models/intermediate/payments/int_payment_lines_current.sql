{{ config(materialized='view') }}
-- One row per current line: an included line that no included line replaces. Accepted current lines make the
-- amounts; rejected current lines are the open rejections of their cell (person, month, CPAS, allowance type).
with chained as (
    select * from {{ ref('int_payment_lines_chained') }}
),

current_lines as (
    select
        line_id,
        root_line_id,
        chain_depth,
        beneficiary_ssin,
        month,
        pcsa_cbe_number,
        allowance_type,
        household_category,
        partner_ssin,
        begin_date,
        end_date,
        line_days,
        amount,
        decision,
        rejection_code,
        acceptance_date,
        -- the age of the line's month at R, computed here: the chained lines are kept across refreshes
        {{ month_age('month') }} as age_months,
        decision = 'ACCEPTED' as is_accepted
    from chained
    where is_current
)

select * from current_lines
