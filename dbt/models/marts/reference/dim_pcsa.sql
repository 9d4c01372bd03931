-- One row per CPAS.
select cbe_number, nis_code, name_fr, name_nl, region
from {{ ref('stg_reference__pcsas') }}
