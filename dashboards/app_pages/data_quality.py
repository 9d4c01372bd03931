"""Data quality: rejections, open rejections by age, late decisions and registrations of rights, payments
outside any right period, and quarantined upstream files."""

import streamlit as st

from dashboards.lib import charts, formats, sidebar, tables, viewer

view = viewer.current()

st.title("Data quality")
st.caption(sidebar.describe(view.filters, view.snapshot))

accepted = view.final_moves_accepted()
if accepted:  # this snapshot was published over the blocking check, on an operator's recorded decision
    threshold = formats.number(accepted["threshold_pct"], 1)
    moved = ", ".join(f"{m['month'][:7]} ({formats.number(m['move_pct'], 2)} %)" for m in accepted["months"])
    st.warning(
        f"Published although months that were FINAL moved beyond {threshold} % of their national "
        f"total: {moved}. Accepted by {accepted['by']} on {accepted['decided_at']}: {accepted['reason']}",
        icon="⚠️",
    )

rejections, open_tab, rights, outside, quarantine = st.tabs(
    ["Rejections", "Open rejections", "Late rights", "Payments outside rights", "Quarantined files"]
)

with rejections:
    st.caption("Lines SPP IS rejected, by the month it decided (whatever benefit month they concern).")
    by_code = view.rejections_by_code()
    by_pcsa = view.rejections_by_pcsa()
    if not by_code.empty:
        charts.draw(charts.bars(by_code, "rejection_reason", "lines"))
    tables.show(by_code, name="dq-rejections-by-code")
    st.markdown("**By CPAS**")
    tables.show(by_pcsa, name="dq-rejections-by-cpas", height=320)

with open_tab:
    st.caption(
        "Current rejected lines not yet re-introduced, by the age of their benefit month. "
        "From 6 months on they are abandoned and the month is final anyway."
    )
    by_age = view.open_rejections_by_age()
    if not by_age.empty:
        charts.draw(charts.bars(by_age.astype({"age_months": str}), "age_months", "lines"))
    tables.show(by_age, name="dq-open-rejections-by-age")
    lines = view.open_rejection_lines()
    if lines is not None:
        with st.expander("Open rejections, line by line (personal data)"):
            tables.show(lines, name="dq-open-rejections", height=320)

with rights:
    st.caption(
        "Right events by month of registration: decisions more than 30 days after the application, "
        "registrations more than 7 days after the decision."
    )
    totals = view.late_right_totals()
    columns = st.columns(2)
    hidden = tables.withheld_help(*totals.values())
    columns[0].metric("Late decisions (> 30 days)", tables.count(totals["late_decisions"]), help=hidden)
    columns[1].metric("Late registrations (> 7 days)", tables.count(totals["late_registrations"]), help=hidden)
    tables.show(view.late_rights(), name="dq-late-rights")
    st.markdown("**CPAS with late decisions or registrations**")
    tables.show(view.late_rights_by_pcsa(), name="dq-late-rights-by-cpas", height=320)

with outside:
    st.caption(
        "Current accepted lines of living wage or its equivalent whose days fall outside every active right "
        "of the same person, CPAS and aid: a signal to check, never a filter (the two sources are separate)."
    )
    tables.show(view.payments_outside_rights(), name="dq-payments-outside-rights", height=320)

with quarantine:
    st.caption("Upstream files refused whole, with the reason; a released file was loaded after a fix.")
    files = view.quarantined_files()
    st.metric("Quarantined files", tables.count(len(files)))
    tables.show(files, name="dq-quarantined-files")
