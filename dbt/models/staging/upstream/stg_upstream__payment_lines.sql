-- One row per reimbursement line, renamed for the marts: the person is the beneficiary, the month is the
-- calendar month of the line's period (a line lies inside one month, CONTRACT 2.1).
with source as (
    select * from {{ source('upstream', 'payment_lines') }}
),

renamed as (
    select
        line_id,
        replaces_line_id,
        file_id,
        line_no,
        pcsa_cbe_number,
        ssin as beneficiary_ssin,
        partner_ssin,
        allowance_type,
        cast(household_category as {{ dbt.type_int() }}) as household_category,
        begin_date,
        end_date,
        {{ month_of('begin_date') }} as month,
        amount,
        payment_date,
        acceptance_date,
        decision,
        rejection_code
    from source
)

select * from renamed
