-- One row per right event, as delivered.
with source as (
    select * from {{ source('upstream', 'right_events') }}
),

renamed as (
    select
        event_id,
        right_id,
        sequence,
        event_type,
        file_id,
        line_no,
        ssin,
        pcsa_cbe_number,
        category,
        cast(household_category as {{ dbt.type_int() }}) as household_category,
        begin_date,
        end_date,
        application_date,
        decision_date,
        registration_date,
        subsidy_requested
    from source
)

select * from renamed
