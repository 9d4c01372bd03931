-- Rule: a current line is an included line that no included line replaces (DOMAIN.md "Current line").
-- Returns the current lines that an included line replaces, with the replacing line.
select current_lines.line_id, replacing.line_id as replaced_by_line_id
from {{ ref('int_payment_lines_current') }} as current_lines
inner join {{ ref('int_payment_lines_included') }} as replacing
    on replacing.replaces_line_id = current_lines.line_id
