{#- The raw tables as the engine sees them. DuckDB: schema raw of the warehouse file, written by ingest. Spark: the
    Parquet files the pipeline exports (one folder per raw table under LWW_SPARK_RAW), registered as external tables
    of database raw at the start of every run, so a build reads the files of this refresh.
    And on Spark the cumulative records (models with full_refresh=false: what right events were already seen and
    notified): the warehouse's copy is the one that counts, whatever engine wrote it, so each run starts from it
    (LWW_SPARK_RECORDS/<schema>.<model>, copied into a table of Spark's; LWW_SPARK_RECORDS_PRESENT lists those the
    warehouse has), or from none when the warehouse has none (a first build). export_marts writes the record back after the run. -#}
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
    {%- set records = env_var('LWW_SPARK_RECORDS', '') -%}
    {%- set present = env_var('LWW_SPARK_RECORDS_PRESENT', '').split(',') -%}
    {%- if execute and records -%}
        {%- for node in cumulative_records() -%}
            {%- set name = node.schema ~ '.' ~ node.alias -%}
            {%- set seed = records ~ '/' ~ name -%}
            {%- set relation = api.Relation.create(schema=node.schema, identifier=node.alias, type='table') -%}
            {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- do run_query('drop table if exists ' ~ name) -%}
            {%- do adapter.cache_dropped(relation) -%}
            {%- if name in present -%}
                {%- do run_query('create table ' ~ name ~ ' using parquet as select * from parquet.`' ~ seed ~ '`') -%}
                {#- dbt listed the relations before this hook: it must know the table is there (incremental) -#}
                {%- do adapter.cache_added(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- The models that keep what earlier builds wrote (full_refresh=false), in a stable order. -#}
{% macro cumulative_records() -%}
    {%- set found = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id')
            if node.resource_type == 'model' and node.config.full_refresh == false -%}
        {%- do found.append(node) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}
