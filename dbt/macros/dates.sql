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

{#- R (reference_date) and macros_version reach dbt one way: in the environment (LWW_DBT_<NAME>), read only when
    executing, and the project's default (dbt_project.yml) when it is not set. Passed with --vars, a value that
    changes at every refresh, as R does, made dbt parse the whole project again at each build, where a partial
    parse reads what it saved (bench/README.md); the two ways could also disagree without a word. So --vars naming one of
    them is refused, with both values. A unit test sets R in its overrides (vars): there, that is the one way. -#}
{% macro refresh_var(name) -%}
    {%- set env_name = 'LWW_DBT_' ~ (name | upper) -%}
    {%- set cli_vars = invocation_args_dict.get('vars') -%}
    {%- if cli_vars is mapping and name in cli_vars -%}
        {{ exceptions.raise_compiler_error(
            'var ' ~ name ~ ' is passed in the environment, not with --vars: --vars gives ' ~ cli_vars[name] ~ ', '
            ~ env_name ~ ' is ' ~ (env_var(env_name, '') or 'not set') ~ '; run ' ~ env_name ~ '=' ~ cli_vars[name]
            ~ ' dbt ... without it in --vars') }}
    {%- endif -%}
    {%- if model is defined and model is not none and model.resource_type == 'unit_test' -%}
        {#- a unit test gives its R in its own overrides (vars), whatever the environment says -#}
        {{- return(var(name)) -}}
    {%- endif -%}
    {%- set from_env = env_var(env_name, '') if execute else '' -%}
    {{- return(from_env or var(name)) -}}
{%- endmacro %}

{#- The first day of the month of a date (dbt.date_trunc returns a timestamp on some adapters). -#}
{% macro month_of(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{#- Date arithmetic, per engine: dbt's cross-database dateadd and datediff by default; Spark's own functions there
    (dbt-spark's generic versions go through Unix timestamps, which are slower and shift a date by the session's time
    zone). -#}

{#- The first day of the month n months after the month of date_expr. -#}
{% macro add_months(date_expr, n) -%}
    {{ return(adapter.dispatch('add_months', 'lww')(date_expr, n)) }}
{%- endmacro %}

{% macro default__add_months(date_expr, n) -%}
    cast({{ dbt.dateadd('month', n, month_of(date_expr)) }} as date)
{%- endmacro %}

{% macro spark__add_months(date_expr, n) -%}
    add_months({{ month_of(date_expr) }}, {{ n }})
{%- endmacro %}

{#- The date n days after date_expr (n may be negative). -#}
{% macro add_days(date_expr, n) -%}
    {{ return(adapter.dispatch('add_days', 'lww')(date_expr, n)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, n) -%}
    cast({{ dbt.dateadd('day', n, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, n) -%}
    date_add({{ date_expr }}, {{ n }})
{%- endmacro %}

{#- Days from begin to end (end - begin; 0 for the same day). -#}
{% macro days_between(begin_expr, end_expr) -%}
    {{ return(adapter.dispatch('days_between', 'lww')(begin_expr, end_expr)) }}
{%- endmacro %}

{% macro default__days_between(begin_expr, end_expr) -%}
    {{ dbt.datediff(begin_expr, end_expr, 'day') }}
{%- endmacro %}

{% macro spark__days_between(begin_expr, end_expr) -%}
    datediff({{ end_expr }}, {{ begin_expr }})
{%- endmacro %}

{#- The last day of the month of date_expr. -#}
{% macro month_end(date_expr) -%}
    {{ add_days(add_months(date_expr, 1), -1) }}
{%- endmacro %}

{#- cutoff(R): the last day of the month before A(R)'s month; a refresh at R includes the lines accepted up to it.
    Given a date expression, the last day of the month before that date's month. -#}
{% macro cutoff(date_expr=none) -%}
    {%- set r = date_expr if date_expr is not none else amounts_date() -%}
    {{ add_days(month_of(r), -1) }}
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
    cast({{ days_between(begin_expr, end_expr) }} + 1 as {{ dbt.type_int() }})
{%- endmacro %}

{#- The next day (for adjacency: a period that begins the day after another ends continues it). -#}
{% macro next_day(date_expr) -%}
    {{ add_days(date_expr, 1) }}
{%- endmacro %}
