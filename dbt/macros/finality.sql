{#- Finality statuses ordered least final first, so "the least final" is a min over ranks. -#}
{% macro finality_rank(status_expr) -%}
    case {{ status_expr }} when 'PROVISIONAL' then 1 when 'CONSOLIDATING' then 2 when 'FINAL' then 3 end
{%- endmacro %}

{% macro finality_from_rank(rank_expr) -%}
    case {{ rank_expr }} when 1 then 'PROVISIONAL' when 2 then 'CONSOLIDATING' when 3 then 'FINAL' end
{%- endmacro %}

{#- DOMAIN.md: PROVISIONAL when age < 3 (negative too); CONSOLIDATING when 3 <= age < 6 with an open
    rejection in the cell; FINAL when age >= 6 (an open rejection is then abandoned) or 3 <= age < 6 without one. -#}
{% macro finality_status(age_expr, has_open_rejection_expr) -%}
    case
        when {{ age_expr }} < 3 then 'PROVISIONAL'
        when {{ age_expr }} < 6 and {{ has_open_rejection_expr }} then 'CONSOLIDATING'
        else 'FINAL'
    end
{%- endmacro %}
