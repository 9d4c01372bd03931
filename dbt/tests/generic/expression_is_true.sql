{#- Rows for which the expression is false (or null) violate the test. new_rows_only: test only the rows of the
    files loaded since the last completed build (every row in a full build); the model needs a file_id column. -#}
{% test expression_is_true(model, expression, where_clause=none, new_rows_only=false) %}
{%- if new_rows_only %}
-- depends_on: {{ ref('int_refresh_plan') }}
-- depends_on: {{ ref('stg_ledger__loaded_files') }}
{%- endif %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where_clause %} and ({{ where_clause }}){% endif %}
{%- if new_rows_only %} and {{ newly_loaded_rows() }}{% endif %}
{% endtest %}
