{#- The domain's dates (DOMAIN.md "Binding definitions"), as portable SQL built on dbt's cross-database
    macros, so the same models can run on another adapter. -#}

{#- R, the reference date of the refresh (var reference_date, see refresh_var). -#}
{% macro reference_date() -%}
    cast('{{ refresh_var("reference_date") }}' as date)
{%- endmacro %}

{#- A(R) as 'YYYY-MM-DD': the latest first Saturday of a month on or before the date r ('YYYY-MM-DD'), r itself
    when r is a first Saturday. Amounts move at first weekends only (DOMAIN.md): every amount rule (included lines,
    ages, finality, last indemnified month) reads A(R) where it says R; rights use R. Computed here, in Jinja, so the
    models see a constant, as they do R (kernel.calendar.amounts_date is the same rule for the Python side). -#}
{% macro amounts_date_of(r) -%}
    {%- set day = modules.datetime.date.fromisoformat(r | string) -%}
    {%- set first = day.replace(day=1) -%}
    {%- set saturday = first + modules.datetime.timedelta(days=(5 - first.weekday()) % 7) -%}
    {%- if saturday > day -%}
        {%- set previous = (first - modules.datetime.timedelta(days=1)).replace(day=1) -%}
        {%- set saturday = previous + modules.datetime.timedelta(days=(5 - previous.weekday()) % 7) -%}
    {%- endif -%}
    {{- return(saturday.isoformat()) -}}
{%- endmacro %}

{#- A(R) of the refresh, as a date. -#}
{% macro amounts_date() -%}
    cast('{{ amounts_date_of(refresh_var("reference_date")) }}' as date)
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

{#- cutoff(R): the last day of the month before A(R)'s month; a refresh at R includes the lines accepted up to it.
    Given a date expression, the last day of the month before that date's month. -#}
{% macro cutoff(date_expr=none) -%}
    {%- set r = date_expr if date_expr is not none else amounts_date() -%}
    cast({{ dbt.dateadd('day', -1, month_of(r)) }} as date)
{%- endmacro %}

{#- Age of month m at date d (by default A(R)): whole months from the first day of m+1 to d (2026-03 at 2026-07-04 -> 3).
    m+1 starts on a 1st, so whole months reduce to the difference of month indexes, minus one; negative for a
    month after d's (a month paid in advance). -#}
{% macro month_index(date_expr) -%}
    (extract(year from {{ date_expr }}) * 12 + extract(month from {{ date_expr }}))
{%- endmacro %}

{% macro month_age(month_expr, at_expr=none) -%}
    {%- set d = at_expr if at_expr is not none else amounts_date() -%}
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
