{#- The due notifications (CONTRACT §6): the ticket that identifies one, and the window the snapshot publishes. -#}

{#- ticketCBSS: a UUID derived from the event and the recipient, so a rerun computes the same ticket (the notifier
    and the subscriber are idempotent on it): the md5 of 'event_id|recipient' (ticket_digest), laid out as a UUID
    (uuid_from_md5). Two macros, so a model computes the digest once per row and lays it out from a column. -#}
{% macro ticket_digest(event_id, recipient) -%}
    {{ dbt.hash(dbt.concat([event_id, "'|'", recipient])) }}
{%- endmacro %}

{#- A 32-digit lowercase hex digest laid out 8-4-4-4-12, with the version nibble of a name-based MD5 UUID (3) and
    the RFC 4122 variant (10xx), so that any UUID parser takes it. digest: a column or expression, read six times. -#}
{% macro uuid_from_md5(digest) -%}
    (
        substr({{ digest }}, 1, 8) || '-' || substr({{ digest }}, 9, 4) || '-3' || substr({{ digest }}, 14, 3)
        || '-' || substr('89ab', ((position(substr({{ digest }}, 17, 1) in '0123456789abcdef') - 1) % 4) + 1, 1)
        || substr({{ digest }}, 18, 3) || '-' || substr({{ digest }}, 21, 12)
    )
{%- endmacro %}

{#- How many days of due notifications a snapshot publishes (LWW_NOTIFY_WINDOW_DAYS, default 90): the rows first due
    within that many days before R, so a notifier that missed a publication finds them in the next one. -#}
{% macro notify_window_days() -%}
    {%- set value = env_var('LWW_NOTIFY_WINDOW_DAYS', '90') | trim -%}
    {%- if not value.isdigit() or value | int < 1 -%}
        {{ exceptions.raise_compiler_error(
            'LWW_NOTIFY_WINDOW_DAYS is ' ~ value ~ ': a whole number of days (1 or more) is expected') }}
    {%- endif -%}
    {{- return(value | int) -}}
{%- endmacro %}
