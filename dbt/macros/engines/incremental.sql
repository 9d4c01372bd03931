{#- Whether the engine can build the refresh-scoped models incrementally. The design deletes the rows of the
    refresh's scope and appends them again (macros/refresh/hooks.sql) and updates flags in place: DuckDB tables
    allow it. Spark's Parquet tables allow neither delete nor update (Delta or Iceberg would), so on Spark every
    refresh-scoped model is a table built in full at every run, and the plan says so (README, Spark). -#}
{% macro engine_builds_incrementally() -%}
    {{ return(adapter.dispatch('engine_builds_incrementally', 'lww')()) }}
{%- endmacro %}

{% macro default__engine_builds_incrementally() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__engine_builds_incrementally() -%}
    {{ return(false) }}
{%- endmacro %}

{#- The materialization of a refresh-scoped model: incremental where the engine builds incrementally, else a table. -#}
{% macro refresh_scoped_materialization() -%}
    {{ return('incremental' if engine_builds_incrementally() else 'table') }}
{%- endmacro %}

{#- A model that replaces its rows by a key at every run (fct_amount_history, by reference date): DuckDB deletes the
    key's rows and inserts them again; Spark partitions the table by the key and overwrites the partitions the run
    writes. -#}
{% macro keyed_incremental_strategy() -%}
    {{ return(adapter.dispatch('keyed_incremental_strategy', 'lww')()) }}
{%- endmacro %}

{% macro default__keyed_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__keyed_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro keyed_partition_by(key) -%}
    {{ return(adapter.dispatch('keyed_partition_by', 'lww')(key)) }}
{%- endmacro %}

{% macro default__keyed_partition_by(key) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__keyed_partition_by(key) -%}
    {{ return([key]) }}
{%- endmacro %}

{#- Empty a table the project keeps across runs (DuckDB: delete; Spark's Parquet tables: truncate). -#}
{% macro empty_table(relation) -%}
    {{ return(adapter.dispatch('empty_table', 'lww')(relation)) }}
{%- endmacro %}

{% macro default__empty_table(relation) -%}
    delete from {{ relation }}
{%- endmacro %}

{% macro spark__empty_table(relation) -%}
    truncate table {{ relation }}
{%- endmacro %}

{#- A hook of several statements: DuckDB runs them as one script; dbt-spark runs one statement per call, so they run
    here one by one, in order, and the hook itself is empty. -#}
{% macro hook_statements(statements) -%}
    {{ return(adapter.dispatch('hook_statements', 'lww')(statements)) }}
{%- endmacro %}

{% macro default__hook_statements(statements) -%}
    {{ return(statements | join(';\n') ~ ';') }}
{%- endmacro %}

{% macro spark__hook_statements(statements) -%}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {{ return('select 1') }}
{%- endmacro %}
