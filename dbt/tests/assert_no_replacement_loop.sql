-- Rule: replacement chains end (DOMAIN.md: a loop is a data error, ingest quarantines it). A line that no chain
-- root leads to is in a loop (or in a chain longer than var max_chain_depth). Returns those lines, by name.
select line_id, replaces_line_id, replaced_by_line_id, file_id, line_no
from {{ ref('int_payment_lines_chained') }}
where root_line_id is null
