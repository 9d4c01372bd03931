"""Data quality: rejections, open rejections by age, late decisions and registrations of rights, payments
outside any right period, and quarantined upstream files."""

import streamlit as st

from dashboards.lib import charts, formats, sidebar, tables, viewer
from dashboards.lib.i18n import t

view = viewer.current()

st.title(t("nav.data_quality"))
st.caption(sidebar.describe(view.filters, view.snapshot))

accepted = view.final_moves_accepted()
if accepted:  # this snapshot was published over the blocking check, on an operator's recorded decision
    threshold = formats.number(accepted["threshold_pct"], 1)
    moved = ", ".join(f"{m['month'][:7]} ({formats.number(m['move_pct'], 2)} %)" for m in accepted["months"])
    st.warning(
        t(
            "quality.accepted_moves",
            threshold=threshold,
            moved=moved,
            by=accepted["by"],
            decided_at=accepted["decided_at"],
            reason=accepted["reason"],
        ),
        icon="⚠️",
    )

rejections, open_tab, rights, outside, quarantine = st.tabs(
    [t(f"quality.tab.{tab}") for tab in ("rejections", "open", "rights", "outside", "quarantine")]
)

with rejections:
    st.caption(t("quality.rejections_caption"))
    by_code = view.rejections_by_code()
    by_pcsa = view.rejections_by_pcsa()
    if not by_code.empty:
        charts.draw(charts.bars(by_code, "rejection_reason", "lines", alert=True))
    tables.show(by_code, name="dq-rejections-by-code", empty=t("dq.no_rejections"))
    if not by_pcsa.empty:
        # A heat map rather than a long table repeating each CPAS once per reason; the table is behind it.
        st.markdown(f"**{t('dq.heatmap')}**")
        cpas = by_pcsa["pcsa_cbe_number"].nunique()
        st.caption(t("dq.heatmap_caption", rows=min(charts.HEATMAP_ROWS, cpas), total=cpas))
        charts.draw(
            charts.heatmap(
                by_pcsa,
                "pcsa_name",
                "rejection_reason",
                "lines",
                hidden=tables.hidden_cells(by_pcsa),
                order="rejection_code",
            )
        )
        with st.expander(t("dq.heatmap_table")):
            tables.show(by_pcsa, name="dq-rejections-by-cpas", height=320)

with open_tab:
    st.caption(t("quality.open_caption"))
    by_age = view.open_rejections_by_age()
    if not by_age.empty:
        charts.draw(charts.bars(by_age.astype({"age_months": str}), "age_months", "lines"))
    tables.show(by_age, name="dq-open-rejections-by-age", empty=t("dq.no_open_rejections"))
    lines = view.open_rejection_lines()
    if lines is not None:
        with st.expander(t("quality.open_lines")):
            tables.show(lines, name="dq-open-rejections", height=320)

with rights:
    st.caption(t("quality.rights_caption"))
    totals = view.late_right_totals()
    columns = st.columns(2)
    hidden = tables.withheld_help(*totals.values())
    columns[0].metric(t("quality.late_decisions"), tables.count(totals["late_decisions"]), help=hidden)
    columns[1].metric(t("quality.late_registrations"), tables.count(totals["late_registrations"]), help=hidden)
    tables.show(
        view.late_rights(),
        name="dq-late-rights",
        empty=t("dq.no_late_rights"),
        detail=("avg_registration_days",),  # with it, wider than the page
    )
    st.markdown(f"**{t('quality.late_by_cpas')}**")
    tables.show(view.late_rights_by_pcsa(), name="dq-late-rights-by-cpas", height=320, empty=t("dq.no_late_pcsa"))

with outside:
    st.caption(t("quality.outside_caption"))
    tables.show(view.payments_outside_rights(), name="dq-payments-outside-rights", height=320, empty=t("dq.no_outside"))

with quarantine:
    st.caption(t("quality.quarantine_caption"))
    files = view.quarantined_files()
    st.metric(t("quality.quarantined_files"), tables.count(len(files)))
    # What went wrong in the table; where exactly (kind, file id, line, field, errors) in the expander under it.
    tables.show(
        files,
        name="dq-quarantined-files",
        empty=t("dq.no_quarantine"),
        detail=("kind", "file_id", "line_no", "field", "errors"),
    )
