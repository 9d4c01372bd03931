{#- The domain's dates (DOMAIN.md "Binding definitions"), as portable SQL built on dbt's cross-database
    macros, so the same models can run on another adapter. -#}

{#- R, the reference date of the refresh (var reference_date, see refresh_var). -#}
{% macro reference_date() -%}
    cast('{{ refresh_var("reference_date") }}' as date)
{%- endmacro %}

{#- A var the pipeline passes in the environment (LWW_DBT_<NAME>), read only when executing: passed with --vars,
    a value that changes at every refresh, as R does, made dbt parse the whole project again (8 s at each build,
    where a partial parse reads what it saved). A plain `dbt build` uses var as usual (dbt_project.yml, --vars). -#}
{% macro refresh_var(name) -%}
    {%- set from_env = env_var('LWW_DBT_' ~ (name | upper), '') if execute else '' -%}
    {{- return(from_env or var(name)) -}}
{%- endmacro %}

{#- The first day of the month of a date (dbt.date_trunc returns a timestamp on some adapters). -#}
{% macro month_of(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{#- The first day of the month n months after the month of date_expr. -#}
{% macro add_months(date_expr, n) -%}
    cast({{ dbt.dateadd('month', n, month_of(date_expr)) }} as date)
{%- endmacro %}

{#- The last day of the month of date_expr. -#}
{% macro month_end(date_expr) -%}
    cast({{ dbt.dateadd('day', -1, add_months(date_expr, 1)) }} as date)
{%- endmacro %}

{#- cutoff(R): the last day of the month before R's month; a refresh at R includes what was accepted up to it. -#}
{% macro cutoff(date_expr=none) -%}
    {%- set r = date_expr if date_expr is not none else reference_date() -%}
    cast({{ dbt.dateadd('day', -1, month_of(r)) }} as date)
{%- endmacro %}

{#- Age of month m at date d: whole months from the first day of m+1 to d (2026-03 at 2026-07-04 -> 3).
    m+1 starts on a 1st, so whole months reduce to the difference of month indexes, minus one; negative for a
    month after d's (a month paid in advance). -#}
{% macro month_index(date_expr) -%}
    (extract(year from {{ date_expr }}) * 12 + extract(month from {{ date_expr }}))
{%- endmacro %}

{% macro month_age(month_expr, at_expr=none) -%}
    {%- set d = at_expr if at_expr is not none else reference_date() -%}
    cast({{ month_index(d) }} - {{ month_index(month_expr) }} - 1 as {{ dbt.type_int() }})
{%- endmacro %}

{#- Days from begin to end, both included. -#}
{% macro days_inclusive(begin_expr, end_expr) -%}
    cast({{ dbt.datediff(begin_expr, end_expr, 'day') }} + 1 as {{ dbt.type_int() }})
{%- endmacro %}

{#- The next day (for adjacency: a period that begins the day after another ends continues it). -#}
{% macro next_day(date_expr) -%}
    cast({{ dbt.dateadd('day', 1, date_expr) }} as date)
{%- endmacro %}
