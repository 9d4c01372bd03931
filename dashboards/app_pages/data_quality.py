"""Data quality: rejections, open rejections by age, late decisions and registrations of rights, payments
outside any right period, and quarantined upstream files."""

import streamlit as st

from dashboards.lib import charts, privacy, quality, sidebar, tables
from dashboards.lib.session import page_context

context = page_context()
ref, selection, user = context.snapshot, context.filters, context.user

st.title("Data quality")
st.caption(sidebar.describe(selection, ref))

accepted = quality.final_moves_accepted(ref)
if accepted:  # this snapshot was published over the blocking check, on an operator's recorded decision
    moved = ", ".join(f"{m['month'][:7]} ({m['move_pct']:.2f} %)" for m in accepted["months"])
    st.warning(
        f"Published although months that were FINAL moved beyond {accepted['threshold_pct']} % of their national "
        f"total: {moved}. Accepted by {accepted['by']} on {accepted['decided_at']}: {accepted['reason']}",
        icon="⚠️",
    )

rejections, open_tab, rights, outside, quarantine = st.tabs(
    ["Rejections", "Open rejections", "Late rights", "Payments outside rights", "Quarantined files"]
)

with rejections:
    st.caption("Lines SPP IS rejected, by the month it decided (whatever benefit month they concern).")
    by_code = quality.rejections_by_code(ref, selection)
    by_pcsa = quality.rejections_by_pcsa(ref, selection)
    if user.is_partner:
        by_code = privacy.suppress(by_code, ["lines"], ["amount"])
        by_pcsa = privacy.suppress(by_pcsa, ["lines"], ["amount"])
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
    by_age = quality.open_rejections_by_age(ref, selection)
    if user.is_partner:
        by_age = privacy.suppress(by_age, ["lines", "beneficiaries"], ["amount"])
    if not by_age.empty:
        charts.draw(charts.bars(by_age.astype({"age_months": str}), "age_months", "lines"))
    tables.show(by_age, name="dq-open-rejections-by-age")
    if not user.is_partner:
        with st.expander("Open rejections, line by line (personal data)"):
            tables.show(quality.open_rejections(ref, selection), name="dq-open-rejections", height=320)

with rights:
    st.caption(
        "Right events by month of registration: decisions more than 30 days after the application, "
        "registrations more than 7 days after the decision."
    )
    late = quality.late_rights(ref, selection)
    late_pcsa = quality.late_rights_by_pcsa(ref, selection)
    columns = st.columns(2)
    for column, field, label in (
        (columns[0], "late_decisions", "Late decisions (> 30 days)"),
        (columns[1], "late_registrations", "Late registrations (> 7 days)"),
    ):
        count = int(late[field].sum()) if not late.empty else 0
        column.metric(label, "<5" if user.is_partner and privacy.is_small(count) else tables.count(count))
    if user.is_partner:
        late = privacy.suppress(
            late, ["events", "late_decisions", "late_registrations"], ["avg_decision_days", "avg_registration_days"]
        )
        late_pcsa = privacy.suppress(late_pcsa, ["events", "late_decisions", "late_registrations"])
    tables.show(late, name="dq-late-rights")
    st.markdown("**CPAS with late decisions or registrations**")
    tables.show(late_pcsa, name="dq-late-rights-by-cpas", height=320)

with outside:
    st.caption(
        "Current accepted lines of living wage or its equivalent whose days fall outside every active right "
        "of the same person, CPAS and aid: a signal to check, never a filter (the two sources are separate)."
    )
    out = quality.payments_outside_rights(ref, selection)
    if user.is_partner:
        out = privacy.suppress(out, ["lines", "beneficiaries"], ["days_outside", "amount"])
    tables.show(out, name="dq-payments-outside-rights", height=320)

with quarantine:
    st.caption("Upstream files refused whole, with the reason; a released file was loaded after a fix.")
    files = quality.quarantined_files(ref)
    if user.is_partner:
        files = files.drop(columns=["reason"])  # a reason may quote a line's values
    st.metric("Quarantined files", tables.count(len(files)))
    tables.show(files, name="dq-quarantined-files")
