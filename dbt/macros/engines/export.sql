{#- on-run-end: the marts as Parquet files for whoever reads them outside the engine. The pipeline publishes DuckDB
    snapshots; with the Spark engine it reads the marts from these files (LWW_SPARK_EXPORT, one folder per mart, the
    columns in their contract's order; a view is written as the rows it reads now): the marts this build or run
    built, and only when nothing failed, so a failed build leaves no files to publish from. DuckDB: nothing to do, the pipeline reads the
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
    {%- for node in results | map(attribute='node') | sort(attribute='unique_id')
            if node.resource_type == 'model' and node.fqn[1] == 'marts' -%}
        {%- set columns = node.columns.keys() | list -%}
        {%- set listed = columns | map('string') | join(', ') if columns else '*' -%}
        {%- do run_query("insert overwrite directory '" ~ folder ~ '/' ~ node.alias ~ "' using parquet select "
                         ~ listed ~ ' from ' ~ node.schema ~ '.' ~ node.alias) -%}
    {%- endfor -%}
    {{ return('select 1') }}
{%- endmacro %}
