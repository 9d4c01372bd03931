{#- Incremental refreshes (see models/intermediate/refresh/_refresh__models.yml for the design).

    A build either recomputes everything (full) or only the benefit months that can have changed since the last
    build that completed (incremental). What the last completed build saw is kept in one small table,
    intermediate.refresh_state, written by the on-run-end hook only when every incremental model was built and
    every node succeeded; a failed or partial build leaves it alone, so the next build recomputes from the last
    good state (recomputing a month is idempotent). A build that did not complete may still have written some
    tables: each refresh-scoped model notes it in intermediate.refresh_touches, in the transaction that writes its
    table, and the next build recovers from it (compute_refresh_plan). -#}

{#- The configuration every incremental model of the refresh shares: rows appended after a pre-hook that deletes
    what this build recomputes (clear_refresh_scope and its kin below), meta.refresh_scoped for
    record_refresh_state; marts pass on_schema_change='fail' (their contracts cannot follow a column change).
    The first pre-hook notes that this build writes the table (record_refresh_touch). -#}
{% macro refresh_scoped(pre_hook, post_hook=none, on_schema_change='sync_all_columns') -%}
    {%- set pre_hooks = ["{{ record_refresh_touch() }}", pre_hook] -%}
    {%- if post_hook -%}
        {{- config(materialized='incremental', incremental_strategy='append', on_schema_change=on_schema_change,
                   meta={'refresh_scoped': true}, pre_hook=pre_hooks, post_hook=post_hook) -}}
    {%- else -%}
        {{- config(materialized='incremental', incremental_strategy='append', on_schema_change=on_schema_change,
                   meta={'refresh_scoped': true}, pre_hook=pre_hooks) -}}
    {%- endif -%}
{%- endmacro %}

{% macro refresh_state_relation() -%}
    {{- return(api.Relation.create(database=target.database, schema='intermediate', identifier='refresh_state')) -}}
{%- endmacro %}

{#- intermediate.refresh_touches: one row per build that wrote a refresh-scoped table (its dbt invocation, R, full
    or not, when), created by int_refresh_plan's post-hook. The rows after the last completed build's are the
    builds that did not complete. -#}
{% macro refresh_touches_relation() -%}
    {{- return(api.Relation.create(database=target.database, schema='intermediate', identifier='refresh_touches')) -}}
{%- endmacro %}

{#- int_refresh_plan's post-hook. -#}
{% macro create_refresh_touches() -%}
    create table if not exists {{ refresh_touches_relation() }} (
        invocation_id varchar, reference_date date, is_full boolean, touched_at timestamp
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

{#- Everything that changes what a model computes for the same lines: the SQL of every model (dbt's checksums),
    var macros_version (the pipeline passes a hash of macros/, which dbt's graph does not expose) and
    max_chain_depth. A build whose fingerprint differs from the recorded one recomputes everything. After editing
    a macro by hand, run plain dbt with --full-refresh (or pass a new macros_version). -#}
{% macro refresh_fingerprint() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.resource_type == 'model' -%}
            {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do parts.append('macros_version:' ~ refresh_var('macros_version')) -%}
    {%- do parts.append('max_chain_depth:' ~ var('max_chain_depth')) -%}
    {{- return(local_md5(parts | join('|'))) -}}
{%- endmacro %}

{#- The plan of this build, decided once by model int_refresh_plan: a dict with
      full: true when everything is recomputed, and why (reason);
      previous_reference_date, previous_cutoff, previous_loaded_at: what the last completed build saw. -#}
{% macro compute_refresh_plan() -%}
    {%- set plan = {'full': true, 'reason': 'no completed build recorded', 'previous_reference_date': none,
                    'previous_cutoff': none, 'previous_loaded_at': none, 'previous_recorded_at': none,
                    'recovering': false} -%}
    {%- if not execute -%}{{ return(plan) }}{%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {%- do plan.update({'reason': '--full-refresh'}) -%}{{ return(plan) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='intermediate',
                                            identifier='refresh_state') -%}
    {%- if relation is none -%}{{ return(plan) }}{%- endif -%}
    {%- set rows = run_query(
        "select cast(reference_date as varchar), cast(cutoff as varchar), cast(loaded_at as varchar), fingerprint, "
        ~ "payment_lines, right_events, cast(recorded_at as varchar) from " ~ relation
        ~ " order by recorded_at desc limit 1").rows -%}
    {%- if rows | length == 0 -%}{{ return(plan) }}{%- endif -%}
    {%- set previous = rows[0] -%}
    {%- if previous[3] != refresh_fingerprint() -%}
        {%- do plan.update({'reason': 'models, macros or vars changed since the last completed build'}) -%}
    {%- elif previous[0] > refresh_var('reference_date') | string -%}
        {%- do plan.update({'reason': 'R ' ~ refresh_var('reference_date') ~ ' is before the R of the last completed build, '
                                      ~ previous[0]}) -%}
    {%- elif raw_rows_kept(previous[2]) != [previous[4], previous[5]] -%}
        {%- do plan.update({'reason': 'raw rows changed other than by new files (' ~ previous[4] ~ ' lines and '
                                      ~ previous[5] ~ ' events recorded, ' ~ raw_rows_kept(previous[2]) | join(' and ')
                                      ~ ' found)'}) -%}
    {%- else -%}
        {%- do plan.update({'full': false, 'reason': 'incremental since R ' ~ previous[0]}) -%}
        {%- do plan.update(recovery_plan(previous[6], previous[0])) -%}
    {%- endif -%}
    {%- do plan.update({'previous_reference_date': previous[0], 'previous_cutoff': previous[1],
                        'previous_loaded_at': previous[2], 'previous_recorded_at': previous[6]}) -%}
    {{- return(plan) -}}
{%- endmacro %}

{#- After builds that did not complete (they wrote tables, refresh_touches says so, after the last completed build
    recorded at recorded_at): the update of compute_refresh_plan's incremental plan. Such a build started from the
    same completed state, so every table it wrote holds that state plus rows it recomputed for its R. When its R is
    not after this R and it was incremental, what it recomputed is within this build's scope (lines included since
    the last completed build's cutoff or loaded since it, rights registered since its R, months whose age crossed
    3 or 6 since then: each only grows with R and the files) and this build recomputes it again: the build is
    incremental and recovering (int_last_indemnified_months_found takes the months before those builds from the
    rows they wrote, and the monthly marts repair flags wherever they may have left one). A full one, or one for a
    later R, may have written rows outside this build's scope: the build is full. -#}
{% macro recovery_plan(recorded_at, previous_reference_date) -%}
    {%- set touches = adapter.get_relation(database=target.database, schema='intermediate',
                                           identifier='refresh_touches') -%}
    {%- if touches is none -%}{{ return({}) }}{%- endif -%}
    {%- set row = run_query(
        "select count(distinct invocation_id), coalesce(bool_or(is_full), false), cast(max(reference_date) as varchar) "
        ~ "from " ~ touches ~ " where touched_at > cast('" ~ recorded_at ~ "' as timestamp)").rows[0] -%}
    {%- if row[0] == 0 -%}{{ return({}) }}{%- endif -%}
    {%- set builds = row[0] ~ ' build' ~ ('s' if row[0] > 1 else '') ~ ' that did not complete' -%}
    {%- if row[1] -%}
        {{- return({'full': true, 'reason': 'a full build since the last completed one did not complete (' ~ builds ~ ')'}) -}}
    {%- elif row[2] > refresh_var('reference_date') | string -%}
        {{- return({'full': true, 'reason': 'a build for R ' ~ row[2] ~ ', after this R, did not complete since the last '
                                          ~ 'completed one'}) -}}
    {%- endif -%}
    {{- return({'recovering': true, 'reason': 'incremental since R ' ~ previous_reference_date ~ ', after ' ~ builds}) -}}
{%- endmacro %}

{#- The plan as int_refresh_plan recorded it for this build (one row, read by every refresh-scoped model). -#}
{% macro refresh_plan() -%}
    {%- set plan = {'full': true, 'reason': 'not executing', 'previous_reference_date': none,
                    'previous_cutoff': none, 'previous_loaded_at': none, 'previous_recorded_at': none,
                    'recovering': false} -%}
    {%- if not execute -%}{{ return(plan) }}{%- endif -%}
    {%- set relation = api.Relation.create(database=target.database, schema='intermediate',
                                           identifier='int_refresh_plan') -%}
    {%- set row = run_query(
        "select is_full, reason, cast(previous_reference_date as varchar), cast(previous_cutoff as varchar), "
        ~ "cast(previous_loaded_at as varchar), cast(reference_date as varchar), fingerprint, "
        ~ "cast(previous_recorded_at as varchar), is_recovering from " ~ relation).rows[0] -%}
    {%- if row[5] != refresh_var('reference_date') | string or row[6] != refresh_fingerprint() -%}
        {{ exceptions.raise_compiler_error(
            'int_refresh_plan was made for R ' ~ row[5] ~ ' or other code, not this build: select it too ('
            ~ 'dbt build --select +' ~ this.identifier ~ ')') }}
    {%- endif -%}
    {%- do plan.update({'full': row[0], 'reason': row[1], 'previous_reference_date': row[2],
                        'previous_cutoff': row[3], 'previous_loaded_at': row[4], 'previous_recorded_at': row[7],
                        'recovering': row[8]}) -%}
    {{- return(plan) -}}
{%- endmacro %}

{#- How many raw lines and events the warehouse holds outside the files loaded after loaded_at: an incremental
    build needs them to be exactly those the last completed build saw (raw tables only grow; a deletion or a
    reload of old rows makes the next build a full one). -#}
{% macro raw_rows_kept(loaded_at) -%}
    {%- set raw_payment_lines = api.Relation.create(database=target.database, schema='raw', identifier='payment_lines') -%}
    {%- set raw_right_events = api.Relation.create(database=target.database, schema='raw', identifier='right_events') -%}
    {%- set raw_loaded_files = api.Relation.create(database=target.database, schema='raw', identifier='loaded_files') -%}
    {%- set newer -%}
        (select file_id from {{ raw_loaded_files }}
         {% if loaded_at is not none %}where loaded_at > cast('{{ loaded_at }}' as timestamp){% endif %})
    {%- endset -%}
    {%- set row = run_query(
        "select (select count(*) from " ~ raw_payment_lines ~ " where file_id not in " ~ newer ~ "), "
        ~ "(select count(*) from " ~ raw_right_events ~ " where file_id not in " ~ newer ~ ")").rows[0] -%}
    {{- return([row[0], row[1]]) -}}
{%- endmacro %}

{#- True when this model recomputes only the refresh's scope (its table exists and the plan is incremental).
    A unit test has no table (this is none): it runs the full select on its given rows. -#}
{% macro in_incremental_scope() -%}
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

{#- Delete the rows this build recomputes before the model appends them again (a pre-hook: the model's select
    reads upstream models, never its own table, so the order does not matter): the rows of the scope (see
    refresh_scope_filter) in an incremental build, every row in a full build over an existing table. -#}
{% macro clear_refresh_scope(grain='month', column=none, person='beneficiary_ssin') -%}
    {%- if not is_incremental() -%}
        select 1
    {%- elif refresh_plan().full -%}
        delete from {{ this }}
    {%- else -%}
        delete from {{ this }} where {{ refresh_scope_filter(grain, column, person) }}
    {%- endif -%}
{%- endmacro %}

{#- The select's filter matching clear_refresh_scope: the rows of the scope in an incremental build, nothing
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
      grain 'new_line': the lines included since the last completed build (column: the line_id's);
      grain 'right': the rights of int_refresh_rights (column: the right_id's);
      grain 'rights_person': the people of int_refresh_rights_people (person: the column holding the person).
    The predicate on the month (year) alone comes first: the heavy tables are stored in month (year) order, so it
    lets the scan skip the row groups of other months before the person-month semi-join. -#}
{% macro refresh_scope_filter(grain='month', column=none, person='beneficiary_ssin', month_column=none) -%}
    {%- if grain == 'person' -%}
        {{ person }} in (select ssin from {{ ref('int_refresh_people') }})
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
    {%- set sql -%}
        create table if not exists {{ relation }} (
            reference_date date, cutoff date, loaded_at timestamp, fingerprint varchar, payment_lines bigint,
            right_events bigint, recorded_at timestamp
        );
        insert into {{ relation }}
        select
            {{ reference_date() }},
            {{ cutoff() }},
            (select max(loaded_at) from {{ source('ledger', 'loaded_files') }}),
            '{{ refresh_fingerprint() }}',
            (select count(*) from {{ source('upstream', 'payment_lines') }}),
            (select count(*) from {{ source('upstream', 'right_events') }}),
            current_timestamp;
        -- the builds that did not complete before this one: it recomputed what they wrote
        delete from {{ refresh_touches_relation() }};
    {%- endset -%}
    {{- return(sql) -}}
{%- endmacro %}

{#- int_payment_lines_chained's pre-hook: the lines walked again leave the table first. -#}
{% macro clear_rechained_lines() -%}
    {%- if not is_incremental() -%}
        select 1
    {%- elif refresh_plan().full -%}
        delete from {{ this }}
    {%- else -%}
        delete from {{ this }} where line_id in (select line_id from {{ ref('int_refresh_lines') }})
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the monthly marts: after an incremental build, the last-indemnified flag of a row outside the
    scope can be stale (the person's last indemnified month moved into the scope, or out of a month of it).
    Two set-based updates over the people whose month moved in this build (int_last_indemnified_moves; publication
    repairs its copy the same way), each in one month per person: the scans skip the other months. role:
    BENEFICIARY or PARTNER; person_column: the mart's column holding that person.
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
        {%- set moved -%}
            (select ssin, moved_from, moved_to from {{ ref('int_last_indemnified_moves') }}
             where person_role = '{{ role }}')
        {%- endset -%}
        update {{ this }} as flagged set is_last_indemnified_month = false
        where flagged.is_last_indemnified_month
            and flagged.month in (select moved_from from {{ moved }} as moved)
            and (flagged.{{ person_column }}, flagged.month) in (select ssin, moved_from from {{ moved }} as moved);
        update {{ this }} as flagged set is_last_indemnified_month = true
        where not flagged.is_last_indemnified_month
            and flagged.month in (select moved_to from {{ moved }} as moved)
            and (flagged.{{ person_column }}, flagged.month) in (select ssin, moved_to from {{ moved }} as moved)
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a model that recomputes its rows by key (delete+insert): every row goes in a full build over an
    existing table; an incremental build deletes nothing first. -#}
{% macro clear_on_full_build() -%}
    {%- if is_incremental() and refresh_plan().full -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- dq_payments_outside_rights's pre-hook: its rows of the scope's person-months and of the people whose rights changed
    leave the table first. -#}
{% macro clear_payments_outside_rights_scope() -%}
    {%- if not is_incremental() -%}
        select 1
    {%- elif refresh_plan().full -%}
        delete from {{ this }}
    {%- else -%}
        delete from {{ this }}
        where {{ refresh_scope_filter('month', person='ssin') }}
            or ssin in (select ssin from {{ ref('int_refresh_rights_people') }})
    {%- endif -%}
{%- endmacro %}

{#- fct_amount_history's pre-hook: the rows of a reference date after the latest R a build completed for were
    written by a build that did not complete (a completed build at R records R in refresh_state, and the history's
    dates are first Saturdays on or before R): they leave the table, so the history never keeps totals no build
    completed for, and a later R is not mistaken for the latest recorded one. -#}
{% macro clear_history_of_incomplete_builds() -%}
    {%- set state = adapter.get_relation(database=target.database, schema='intermediate', identifier='refresh_state')
        if execute else none -%}
    {%- if is_incremental() and state is not none -%}
        delete from {{ this }} where reference_date > (select max(reference_date) from {{ state }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
