{{
    config(
        materialized='incremental',
        incremental_strategy=keyed_incremental_strategy(),
        unique_key='reference_date',
        partition_by=keyed_partition_by('reference_date'),
        pre_hook="{{ clear_history_of_incomplete_builds() }}"
    )
}}
-- One row per reference date R, month, CPAS, allowance type and finality status: the totals each refresh
-- published, kept across refreshes (see the YAML for the design).
with totals as (
    select
        -- amounts move at first weekends only: a refresh between two of them publishes the totals of A(R) again
        {{ amounts_date() }} as reference_date,
        month,
        pcsa_cbe_number,
        allowance_type,
        finality_status,
        sum(rows) as row_count,
        sum(amount) as amount
    -- the dashboards' totals summed over household categories: the rows and amounts of fct_monthly_amounts by
    -- month, CPAS, allowance type and status, without reading its 45 million rows again
    from {{ ref('agg_monthly_pcsa') }}
    where rows > 0
    group by month, pcsa_cbe_number, allowance_type, finality_status
)

select
    reference_date,
    month,
    pcsa_cbe_number,
    allowance_type,
    finality_status,
    cast(row_count as bigint) as rows,
    cast(amount as decimal(18, 2)) as amount
from totals
{% if is_incremental() %}
-- history moves forward only: a refresh for an R older than the latest recorded one writes nothing (what was
-- published then stays as recorded); a rerun for the latest R replaces that R's rows (delete+insert on R)
where reference_date >= (select coalesce(max(reference_date), cast('1900-01-01' as date)) from {{ this }})
{% endif %}
