{{ config(post_hook="{{ create_refresh_touches() }}") }}
-- One row: the plan of this build (macros/refresh/plan.sql, compute_refresh_plan), decided once and read by every
-- refresh-scoped model: full or incremental, why, and what the last completed build saw (previous_recorded_at
-- names that build: publication applies a delta to the snapshot published from it); is_recovering: incremental
-- after builds that did not complete (they wrote tables: intermediate.refresh_touches, created by the post-hook).
{% set plan = compute_refresh_plan() %}
{% set previous = {'date': ['previous_reference_date', 'previous_cutoff'],
                  'timestamp': ['previous_loaded_at', 'previous_recorded_at']} %}
select
    {{ reference_date() }} as reference_date,
    '{{ refresh_fingerprint() }}' as fingerprint,
    {{ 'true' if plan.full else 'false' }} as is_full,
    '{{ plan.reason | replace("'", "''") }}' as reason,
    {{ 'true' if plan.recovering else 'false' }} as is_recovering
    {%- for type, names in previous.items() %}{% for name in names %},
    cast({{ 'null' if plan[name] is none else "'" ~ plan[name] ~ "'" }} as {{ type }}) as {{ name }}
    {%- endfor %}{% endfor %}
