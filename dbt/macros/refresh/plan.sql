{#- The plan of a build: full or incremental, and from which completed build (see
    models/intermediate/refresh/_refresh__models.yml for the design, _refresh__macros.yml for each macro). Decided
    once, by model int_refresh_plan (compute_refresh_plan), and read by every refresh-scoped model (refresh_plan). -#}

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
    {%- if not engine_builds_incrementally() -%}
        {%- do plan.update({'reason': target.type ~ ' builds every model in full'}) -%}{{ return(plan) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=target.get('database'), schema='intermediate',
                                            identifier='refresh_state') -%}
    {%- if relation is none -%}{{ return(plan) }}{%- endif -%}
    {%- set rows = run_query(
        "select cast(reference_date as " ~ dbt.type_string() ~ "), cast(cutoff as " ~ dbt.type_string() ~ "), cast(loaded_at as " ~ dbt.type_string() ~ "), fingerprint, "
        ~ "payment_lines, right_events, cast(recorded_at as " ~ dbt.type_string() ~ ") from " ~ relation
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
    {%- set touches = adapter.get_relation(database=target.get('database'), schema='intermediate',
                                           identifier='refresh_touches') -%}
    {%- if touches is none -%}{{ return({}) }}{%- endif -%}
    {%- set row = run_query(
        "select count(distinct invocation_id), coalesce(bool_or(is_full), false), cast(max(reference_date) as " ~ dbt.type_string() ~ ") "
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
    {%- set relation = api.Relation.create(database=target.get('database'), schema='intermediate',
                                           identifier='int_refresh_plan') -%}
    {%- set row = run_query(
        "select is_full, reason, cast(previous_reference_date as " ~ dbt.type_string() ~ "), cast(previous_cutoff as " ~ dbt.type_string() ~ "), "
        ~ "cast(previous_loaded_at as " ~ dbt.type_string() ~ "), cast(reference_date as " ~ dbt.type_string() ~ "), fingerprint, "
        ~ "cast(previous_recorded_at as " ~ dbt.type_string() ~ "), is_recovering from " ~ relation).rows[0] -%}
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
    {%- set raw_payment_lines = api.Relation.create(database=target.get('database'), schema='raw', identifier='payment_lines') -%}
    {%- set raw_right_events = api.Relation.create(database=target.get('database'), schema='raw', identifier='right_events') -%}
    {%- set raw_loaded_files = api.Relation.create(database=target.get('database'), schema='raw', identifier='loaded_files') -%}
    {%- set newer -%}
        (select file_id from {{ raw_loaded_files }}
         {% if loaded_at is not none %}where loaded_at > cast('{{ loaded_at }}' as timestamp){% endif %})
    {%- endset -%}
    {%- set row = run_query(
        "select (select count(*) from " ~ raw_payment_lines ~ " where file_id not in " ~ newer ~ "), "
        ~ "(select count(*) from " ~ raw_right_events ~ " where file_id not in " ~ newer ~ ")").rows[0] -%}
    {{- return([row[0], row[1]]) -}}
{%- endmacro %}
