{#- What the builds leave for the next one: intermediate.refresh_state (what the last completed build saw, written
    by the on-run-end hook only when every refresh-scoped model was built and nothing failed) and
    intermediate.refresh_touches (the builds since then that wrote a refresh-scoped table and did not complete). -#}

{% macro refresh_state_relation() -%}
    {{- return(api.Relation.create(database=target.get('database'), schema='intermediate', identifier='refresh_state')) -}}
{%- endmacro %}

{#- intermediate.refresh_state, empty until a build completes: created by the on-run-end hook of the first completed
    build, or before by fct_refresh_delta's pre-hook (the view reads it). -#}
{% macro create_refresh_state() -%}
    create table if not exists {{ refresh_state_relation() }} (
        reference_date date, cutoff date, loaded_at timestamp, fingerprint {{ dbt.type_string() }}, payment_lines bigint,
        right_events bigint, recorded_at timestamp
    )
{%- endmacro %}

{#- intermediate.refresh_touches: one row per build that wrote a refresh-scoped table (its dbt invocation, R, full
    or not, when), created by int_refresh_plan's post-hook. The rows after the last completed build's are the
    builds that did not complete. -#}
{% macro refresh_touches_relation() -%}
    {{- return(api.Relation.create(database=target.get('database'), schema='intermediate', identifier='refresh_touches')) -}}
{%- endmacro %}

{#- int_refresh_plan's post-hook. -#}
{% macro create_refresh_touches() -%}
    create table if not exists {{ refresh_touches_relation() }} (
        invocation_id {{ dbt.type_string() }}, reference_date date, is_full boolean, touched_at timestamp
    )
{%- endmacro %}

{#- The first pre-hook of every refresh-scoped model: this build writes a table the next one reads (inside the
    model's transaction, so a table is never written without its note, whatever kills the build). -#}
{% macro record_refresh_touch() -%}
    {%- if execute -%}
    {%- set touches = refresh_touches_relation() -%}
    insert into {{ touches }}
    select '{{ invocation_id }}', {{ reference_date() }}, {{ 'true' if refresh_plan().full else 'false' }},
        current_timestamp
    where not exists (select 1 from {{ touches }} where invocation_id = '{{ invocation_id }}')
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: record what this build saw, only if it built every incremental model and nothing failed. -#}
{% macro record_refresh_state(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    {%- set incremental = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
               and node.config.get('meta', {}).get('refresh_scoped') -%}
            {%- do incremental.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail', 'skipped', 'runtime error') -%}
            {{- log('refresh state not recorded: ' ~ result.node.unique_id ~ ' ' ~ result.status, info=true) -}}
            {{- return('') -}}
        {%- endif -%}
        {%- if result.node.unique_id in incremental and result.status == 'success' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if built | length < incremental | length -%}{{ return('') }}{%- endif -%}
    {%- set relation = refresh_state_relation() -%}
    {%- set record -%}
        insert into {{ relation }}
        select
            {{ reference_date() }},
            {{ cutoff() }},
            (select max(loaded_at) from {{ source('ledger', 'loaded_files') }}),
            '{{ refresh_fingerprint() }}',
            (select count(*) from {{ source('upstream', 'payment_lines') }}),
            (select count(*) from {{ source('upstream', 'right_events') }}),
            current_timestamp
    {%- endset -%}
    {#- then the builds that did not complete before this one: it recomputed what they wrote -#}
    {{- return(hook_statements([create_refresh_state(), record, empty_table(refresh_touches_relation())])) -}}
{%- endmacro %}

{#- The select list of one part of fct_refresh_delta: every column of the view in order, the expression given in
    filled (column -> SQL) or a typed null. -#}
{% macro refresh_delta_columns(filled) -%}
    {%- set columns = [
        ('change', dbt.type_string()), ('mart', dbt.type_string()), ('beneficiary_ssin', dbt.type_string()),
        ('partner_ssin', dbt.type_string()), ('ssin', dbt.type_string()), ('month', 'date'),
        ('year', dbt.type_int()), ('right_id', dbt.type_string()), ('reference_date', 'date'),
        ('incremental_from', dbt.type_timestamp()), ('completed_build', dbt.type_timestamp()),
    ] -%}
    {%- for name, type in columns %}
        {{ filled.get(name, 'cast(null as ' ~ type ~ ')') }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
