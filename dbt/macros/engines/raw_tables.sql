{#- The raw tables as the engine sees them. DuckDB: schema raw of the warehouse file, written by ingest. Spark: the
    Parquet files ingest exports (one folder per raw table under LWW_SPARK_RAW), registered as external tables of
    database raw at the start of every run, so a build reads the files of this refresh. -#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'lww')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- set folder = env_var('LWW_SPARK_RAW', '') -%}
    {%- if execute and folder -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for name in var('raw_tables') -%}
            {%- do run_query('drop table if exists raw.' ~ name) -%}
            {%- do run_query('create table raw.' ~ name ~ " using parquet location '" ~ folder ~ '/' ~ name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
