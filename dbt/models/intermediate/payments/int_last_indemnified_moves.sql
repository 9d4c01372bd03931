{{ config(materialized='view') }}
-- depends_on: {{ ref('int_refresh_people') }}
-- One row per person and role whose last indemnified month this build moved: from the month before it
-- (moved_from) to the new one (moved_to), either null. Incremental builds only (a full build computes every flag):
-- the monthly marts' post-hook and publication repair the flags of these people, in these two months.
select
    ssin,
    person_role,
    previous_last_indemnified_month as moved_from,
    last_indemnified_month as moved_to
from {{ ref('int_last_indemnified_months_found') }}
where ssin in (select people.ssin from {{ ref('int_refresh_people') }} as people)
    and previous_last_indemnified_month is distinct from last_indemnified_month
