{#- The hooks of the refresh-scoped models: the pre-hook that deletes what the build recomputes, the monthly marts'
    flag repair, and fct_amount_history's pre-hook. -#}

{#- The pre-hook of every refresh-scoped model: delete the rows this build recomputes before the model writes them
    again (the model's select reads upstream models, never its own table, so the order does not matter). Nothing
    before the first build (no table yet); every row in a full build over an existing table; in an incremental
    build, the rows of the scope: refresh_scope_filter(grain, column, person) for a grain, or for a list of grains
    the rows of any of them; grain none for a model that recomputes its rows by key (delete+insert), which deletes
    nothing first in an incremental build. -#}
{% macro clear_recomputed_rows(grain, column=none, person='beneficiary_ssin') -%}
    {%- if not is_incremental() -%}
        select 1
    {%- elif refresh_plan().full -%}
        delete from {{ this }}
    {%- elif grain is none -%}
        select 1
    {%- else -%}
        {%- set grains = [grain] if grain is string else grain -%}
        delete from {{ this }} where
        {%- for one in grains %} {% if not loop.first %}or {% endif %}({{ refresh_scope_filter(one, column, person) }}){% endfor %}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the monthly marts: after an incremental build, the last-indemnified flag of a row outside the
    scope can be stale (the person's last indemnified month moved into the scope, or out of a month of it).
    Two set-based updates, the flags fct_refresh_delta turns off and on (the people whose month moved in this
    build; publication repairs its copy from the same rows), each in one month per person: the scans skip the
    other months. role: BENEFICIARY or PARTNER; person_column: the mart's column holding that person.
    A recovering build (after builds that did not complete) does not know which months their repairs flagged:
    for every person whose month it recomputed, it clears the flag of any row but the one of the new month (one
    scan of the flagged rows), then sets that one. -#}
{% macro repair_last_indemnified_flags(role, person_column) -%}
    {%- if in_incremental_scope() and refresh_plan().recovering -%}
        {%- set found -%}
            (select ssin, last_indemnified_month from {{ ref('int_last_indemnified_months_found') }}
             where person_role = '{{ role }}' and ssin in (select ssin from {{ ref('int_refresh_people') }}))
        {%- endset -%}
        update {{ this }} as flagged set is_last_indemnified_month = false
        where flagged.is_last_indemnified_month
            and flagged.{{ person_column }} in (select ssin from {{ ref('int_refresh_people') }})
            and (flagged.{{ person_column }}, flagged.month) not in (
                select ssin, last_indemnified_month from {{ found }} as found where last_indemnified_month is not null
            );
        update {{ this }} as flagged set is_last_indemnified_month = true
        where not flagged.is_last_indemnified_month
            and flagged.month in (select last_indemnified_month from {{ found }} as found)
            and (flagged.{{ person_column }}, flagged.month) in (select ssin, last_indemnified_month from {{ found }} as found)
    {%- elif in_incremental_scope() -%}
        {%- for change, flag in [('FLAG_CLEARED', 'false'), ('FLAG_SET', 'true')] %}
        {%- set moved -%}
            (select {{ person_column }}, month from {{ ref('fct_refresh_delta') }}
             where mart = '{{ this.identifier }}' and change = '{{ change }}')
        {%- endset %}
        update {{ this }} as flagged set is_last_indemnified_month = {{ flag }}
        where flagged.is_last_indemnified_month <> {{ flag }}
            and flagged.month in (select month from {{ moved }} as moved)
            and (flagged.{{ person_column }}, flagged.month) in (select * from {{ moved }} as moved)
            {{- ';' if not loop.last }}
        {%- endfor %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- fct_amount_history's pre-hook: the rows of a reference date after the latest R a build completed for were
    written by a build that did not complete (a completed build at R records R in refresh_state, and the history's
    dates are first Saturdays on or before R): they leave the table, so the history never keeps totals no build
    completed for, and a later R is not mistaken for the latest recorded one. -#}
{% macro clear_history_of_incomplete_builds() -%}
    {%- set state = adapter.get_relation(database=target.get('database'), schema='intermediate', identifier='refresh_state')
        if execute else none -%}
    {%- if is_incremental() and state is not none -%}
        {{ adapter.dispatch('clear_history_after', 'lww')('(select max(reference_date) from ' ~ state ~ ')') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro default__clear_history_after(latest) -%}
    delete from {{ this }} where reference_date > {{ latest }}
{%- endmacro %}

{#- Spark: the history is partitioned by reference date; the partitions after the latest completed build go. -#}
{% macro spark__clear_history_after(latest) -%}
    {%- set dates = run_query('select distinct cast(reference_date as string) from ' ~ this
                              ~ ' where reference_date > ' ~ latest).columns[0].values() -%}
    {%- for day in dates -%}
        {%- do run_query('alter table ' ~ this ~ " drop if exists partition (reference_date = '" ~ day ~ "')") -%}
    {%- endfor -%}
    select 1
{%- endmacro %}
