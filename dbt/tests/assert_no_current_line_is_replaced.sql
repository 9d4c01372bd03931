-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('int_refresh_lines') }}
-- Rule: a current line is an included line that no included line replaces (DOMAIN.md "Current line").
-- Returns the current lines that an included line replaces, with the replacing line. Checked for the lines whose
-- chains this build walked (every line in a full build): a line replaced since the last build is one of them.
select current_lines.line_id, replacing.line_id as replaced_by_line_id
from {{ ref('int_payment_lines_current') }} as current_lines
inner join {{ ref('int_payment_lines_included') }} as replacing
    on replacing.replaces_line_id = current_lines.line_id
{% if execute and not refresh_plan().full -%}
where current_lines.line_id in (select line_id from {{ ref('int_refresh_lines') }})
{%- endif %}
