{{ config(materialized='view') }}
-- One row per integration of a person in an institution's dossier repertory.
-- A view: about ten million rows at Belgian scale, reloaded with the reference data; a table would copy them at
-- every refresh, and publication copies them into the snapshot anyway.
select cbe_number, ssin, quality_code, begin_date, end_date
from {{ ref('stg_reference__integrations') }}
