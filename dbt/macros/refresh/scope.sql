{#- What an incremental build recomputes, as SQL: the predicates on a model's rows (refresh_scope_filter), the
    select's filter (where_in_refresh_scope), the lines newly included, and the data tests' filter. -#}

{#- True when this model recomputes only the refresh's scope (its table exists and the plan is incremental).
    A unit test runs the full select on its given rows: it has no table (this is none), or a given `this` (the
    rows an incremental model kept) and no plan of its own. -#}
{% macro in_incremental_scope() -%}
    {%- if model is defined and model is not none and model.resource_type == 'unit_test' -%}
        {{- return(false) -}}
    {%- endif -%}
    {{- return(this is not none and is_incremental() and not refresh_plan().full) -}}
{%- endmacro %}

{#- A select of the lines (columns, from relation, a view of the included lines) that became included since the
    last completed build: accepted after its cutoff, or in a file loaded after it (a late file or a replayed
    quarantine can bring lines accepted long ago). A union of the two, not an or: each filter alone lets the scan
    skip the row groups of older files, where an or of the two reads every line. -#}
{% macro select_newly_included(plan, columns, relation) -%}
    select {{ columns }} from {{ relation }}
    {%- if plan.previous_loaded_at is not none %}
    where acceptance_date > cast('{{ plan.previous_cutoff }}' as date)
    union
    select {{ columns }} from {{ relation }}
    where file_id in (
        select file_id from {{ ref('stg_ledger__loaded_files') }}
        where loaded_at > cast('{{ plan.previous_loaded_at }}' as timestamp)
    )
    {%- endif %}
{%- endmacro %}

{#- A predicate for data tests of raw-derived rows: true for the rows of the files loaded since the last completed
    build (those it tested before passed then), for every row in a full build. The test must depend on
    int_refresh_plan and stg_ledger__loaded_files (-- depends_on). -#}
{% macro newly_loaded_rows(column='file_id') -%}
    {%- set plan = refresh_plan() -%}
    {%- if plan.full or plan.previous_loaded_at is none -%}
        true
    {%- else -%}
        {{ column }} in (
            select file_id from {{ ref('stg_ledger__loaded_files') }}
            where loaded_at > cast('{{ plan.previous_loaded_at }}' as timestamp)
        )
    {%- endif -%}
{%- endmacro %}

{#- The select's filter matching clear_recomputed_rows: the rows of the scope in an incremental build, nothing
    (every row) otherwise. keyword: 'where' or 'and'. -#}
{% macro where_in_refresh_scope(grain='month', column=none, keyword='where', person='beneficiary_ssin',
                                month_column=none) -%}
    {%- if in_incremental_scope() -%}
        {{ keyword }} {{ refresh_scope_filter(grain, column, person, month_column) }}
    {%- endif -%}
{%- endmacro %}

{#- A predicate on a model's rows, true for the rows this build recomputes (incremental builds only):
      grain 'month': the person-months of int_refresh_scope (person: the beneficiary column; column: the month's);
      grain 'year': the person-years holding one of them (column: the year's; month_column, for a table of
        months: its month column, bounded by the scope's years so that the scan skips the other years);
      grain 'whole_month': every row of the scope's months (totals over everyone);
      grain 'person': the people of int_refresh_people (person: the column holding the person);
      grain 'line': the lines whose chains this build walks again (int_refresh_lines; column: the line_id's);
      grain 'new_line': the lines included since the last completed build (column: the line_id's);
      grain 'right': the rights of int_refresh_rights (column: the right_id's);
      grain 'rights_person': the people of int_refresh_rights_people (person: the column holding the person).
    The predicate on the month (year) alone comes first: the heavy tables are stored in month (year) order, so it
    lets the scan skip the row groups of other months before the person-month semi-join. -#}
{% macro refresh_scope_filter(grain='month', column=none, person='beneficiary_ssin', month_column=none) -%}
    {%- if grain == 'person' -%}
        {{ person }} in (select ssin from {{ ref('int_refresh_people') }})
    {%- elif grain == 'line' -%}
        {{ column or 'line_id' }} in (select line_id from {{ ref('int_refresh_lines') }})
    {%- elif grain == 'new_line' -%}
        {{ column or 'line_id' }} in (select line_id from {{ ref('int_refresh_lines') }} where is_new)
    {%- elif grain == 'right' -%}
        {{ column or 'right_id' }} in (select right_id from {{ ref('int_refresh_rights') }})
    {%- elif grain == 'rights_person' -%}
        {{ person }} in (select ssin from {{ ref('int_refresh_rights_people') }})
    {%- else -%}
    {%- set scope = ref('int_refresh_scope') -%}
    {%- if grain == 'month' -%}
        {%- set column = column or 'month' -%}
        ({{ column }} in (select distinct month from {{ scope }})
            and ({{ person }}, {{ column }}) in (select beneficiary_ssin, month from {{ scope }}))
    {%- elif grain == 'year' -%}
        {%- set column = column or 'year' -%}
        {%- if month_column and execute -%}
            {%- set years = run_query('select min(year), max(year) from ' ~ scope).rows[0] -%}
            {%- if years[0] is not none -%}
        {{ month_column }} >= cast('{{ years[0] }}-01-01' as date)
            and {{ month_column }} < cast('{{ years[1] + 1 }}-01-01' as date) and
            {%- endif -%}
        {%- endif %}
        ({{ column }} in (select distinct year from {{ scope }})
            and ({{ person }}, {{ column }}) in (select distinct beneficiary_ssin, year from {{ scope }}))
    {%- elif grain == 'whole_month' -%}
        {{ column or 'month' }} in (select distinct month from {{ scope }})
    {%- else -%}
        {{ exceptions.raise_compiler_error('refresh_scope_filter: unknown grain ' ~ grain) }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- dbt's where filter of data tests, with ref('model') in the filter's text resolved to the model's relation, as
    ref() would resolve it. The filter is rendered before ref() exists (written {{ ref(...) }} it is refused), and
    ref() at run time accepts only a model the test was parsed to depend on, which a filter never makes it: the
    relation is read from dbt's graph (database, schema, alias of the model), so the YAML filters name the refresh
    models (int_refresh_scope, ...) by name, never by a schema written in the filter. The models a filter names are
    upstream of the model it tests, so they are built first. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}{{ return(relation) }}{%- endif -%}
    {%- set resolved = namespace(where=where) -%}
    {%- if execute -%}
    {%- for name in modules.re.findall("ref\\('(\\w+)'\\)", where) | unique -%}
        {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) -%}
        {%- if node is none -%}
            {{ exceptions.raise_compiler_error("the where filter of a data test names ref('" ~ name ~ "'), no model") }}
        {%- endif -%}
        {%- set model = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- set resolved.where = resolved.where.replace("ref('" ~ name ~ "')", model | string) -%}
    {%- endfor -%}
    {%- endif -%}
    {{- return('(select * from ' ~ relation ~ ' where ' ~ resolved.where ~ ') dbt_subquery') -}}
{%- endmacro %}
