{#- The grant_periods column: an ordered list of (begin_date, end_date) structs. Only this macro knows the
    adapter's nested types (DuckDB: STRUCT(begin_date DATE, end_date DATE)[]); other adapters add their own
    implementation here (e.g. Spark: sort_array(collect_list(named_struct(...)))). -#}
{% macro period_list_agg(begin_expr, end_expr) -%}
    {{ return(adapter.dispatch('period_list_agg', 'lww')(begin_expr, end_expr)) }}
{%- endmacro %}

{#- list_sort after list rather than an ordered aggregate: structs sort by begin_date first, and the
    bench measured the ordered aggregate as the slowest step of the monthly rows. -#}
{% macro duckdb__period_list_agg(begin_expr, end_expr) -%}
    cast(list_sort(list({'begin_date': {{ begin_expr }}, 'end_date': {{ end_expr }}}))
         as struct(begin_date date, end_date date)[])
{%- endmacro %}

{% macro default__period_list_agg(begin_expr, end_expr) -%}
    sort_array(collect_list(named_struct('begin_date', {{ begin_expr }}, 'end_date', {{ end_expr }})))
{%- endmacro %}

{#- The data type of grant_periods, per engine (var period_list_types, which the contracts read too). -#}
{% macro period_list_type() -%}
    {{- var('period_list_types')[target.type] -}}
{%- endmacro %}
