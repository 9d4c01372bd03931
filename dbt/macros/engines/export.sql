{#- on-run-end: the marts as Parquet files for whoever reads them outside the engine. The pipeline publishes DuckDB
    snapshots; with the Spark engine it reads the marts from these files (LWW_SPARK_EXPORT, one folder per mart, the
    columns in their contract's order; a view is written as the rows it reads now): the marts this build or run
    built, and the cumulative records it wrote (as <schema>.<model>: they go back to the warehouse, whose copy the
    next run starts from; raw_tables.sql), and only when nothing failed, so a failed build leaves no files to
    publish from and its record is made again by the next one. DuckDB: nothing to do, the pipeline reads the
    warehouse itself. -#}
{% macro export_marts(results) -%}
    {{ return(adapter.dispatch('export_marts', 'lww')(results)) }}
{%- endmacro %}

{% macro default__export_marts(results) -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__export_marts(results) -%}
    {%- set folder = env_var('LWW_SPARK_EXPORT', '') -%}
    {%- if not execute or not folder or flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    {%- for result in results if result.status in ('error', 'fail', 'skipped', 'runtime error') -%}
        {{- log('marts not exported: ' ~ result.node.unique_id ~ ' ' ~ result.status, info=true) -}}
        {{- return('') -}}
    {%- endfor -%}
    {%- set records = cumulative_records() | map(attribute='unique_id') | list -%}
    {%- for node in results | map(attribute='node') | sort(attribute='unique_id')
            if node.resource_type == 'model' and (node.fqn[1] == 'marts' or node.unique_id in records) -%}
        {%- set columns = node.columns.keys() | list -%}
        {%- set listed = columns | map('string') | join(', ') if columns else '*' -%}
        {#- a mart by its name; a record by schema and name, so it goes back to its own schema -#}
        {%- set name = node.alias if node.fqn[1] == 'marts' else node.schema ~ '.' ~ node.alias -%}
        {%- do run_query("insert overwrite directory '" ~ folder ~ '/' ~ name ~ "' using parquet select "
                         ~ listed ~ ' from ' ~ node.schema ~ '.' ~ node.alias) -%}
    {%- endfor -%}
    {{ return('select 1') }}
{%- endmacro %}
