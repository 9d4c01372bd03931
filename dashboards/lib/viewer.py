"""What one signed-in user may see of the current snapshot, for the current selection: every frame and KPI a page
shows comes from here, already cut for its viewer.

For a ``PARTNER_ANALYST`` that means: counts of 1 to 4 people blanked with the figures drawn from them, and more
rows blanked where a shown total would give a hidden cell back (:mod:`dashboards.lib.privacy`); person-level
columns and tables left out; consultations of the partner's own institution only. Each frame says here, once,
which source it reads (its protected cells, :mod:`dashboards.lib.cells`: a row adding up a hidden cell is blank,
so no two views a partner builds give a small cell back by subtraction) and which total it is a breakdown of
(``by``): a page only lays out what it receives, so a new page cannot forget the rule, and the page test
renders every page for a partner to hold it.

The queries themselves (``amounts``, ``quality``, ``consultations``) stay role-blind and cached per snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboards.lib import amounts, cells, consultations, formats, i18n, people, privacy, quality, signins
from dashboards.lib.auth import User
from dashboards.lib.filters import Filters
from dashboards.lib.session import PageContext, page_context
from dashboards.lib.snapshot import SnapshotRef
from kernel.calendar import add_months

MONTH = ("month",)  # a breakdown of each month's total (shown beside it, and on other pages)
WHOLE = ()  # a breakdown of one total shown above it (a KPI)
ALONE = None  # rows whose sum is shown nowhere: each row stands for itself
FINALITY_STATUSES = ("FINAL", "CONSOLIDATING", "PROVISIONAL")
AMOUNTS = "agg_monthly_pcsa"  # the source of the amounts' views (dashboards.lib.cells)


@dataclass(frozen=True)
class Viewer:
    snapshot: SnapshotRef
    user: User
    filters: Filters

    @classmethod
    def of(cls, context: PageContext) -> Viewer:
        return cls(context.snapshot, context.user, context.filters)

    @property
    def sees_people(self) -> bool:
        """Whether person-level rows (SSINs, single lines) may be shown."""
        return self.user.may_look_up_people

    def _shown(
        self,
        frame: pd.DataFrame,
        by: Sequence[str] | None,
        source: str | None,
        *,
        personal: Sequence[str] = (),
        back: Sequence[int] = (),
        every: Sequence[str] = (),
    ) -> pd.DataFrame:
        """``frame`` as the viewer may see it. ``source``: the table whose cells its rows add up (None: a table
        no filter cuts); ``back``: other months each row also draws on (-12: a year before); ``every``: the
        dimensions a row draws on value by value (each refresh of a month's history)."""
        frame = amounts.named(frame, self.snapshot, i18n.current_language())  # CPAS names in the viewer's language
        if not self.user.is_partner:
            return frame
        frame = frame.drop(columns=[c for c in personal if c in frame.columns])
        also = self._adds_hidden_cells(frame, source, back, every) if source is not None else None
        shown = privacy.suppress(frame, by=by, also=also)
        # Which cells were withheld (not those empty by nature, as a month without a year before), so that a
        # table says "< 5" there with a footnote (dashboards.lib.tables).
        withheld = shown.isna() & ~frame.isna()
        shown.attrs[formats.HIDDEN_CELLS] = frozenset(
            (index, column) for column in withheld.columns for index in withheld.index[withheld[column].to_numpy()]
        )
        return shown

    # Protection against differencing: which cells of its source each figure adds up (privacy.Cells).
    def _months(self) -> list[dt.date]:
        months, month = [], self.filters.month_from
        while month <= self.filters.month_to:
            months.append(month)
            month = add_months(month, 1)
        return months

    def _geo(self, region: str | None = None, pcsa: str | None = None) -> list[str | None]:
        """The CPAS, regions or country (None) a figure adds up, from the filters and the row's own place."""
        if pcsa is not None:
            return [pcsa]
        region_of = cells.regions_of(self.snapshot)
        regions = set(self.filters.regions)
        if self.filters.pcsa:
            chosen = [p for p in self.filters.pcsa if (not regions or region_of.get(p) in regions)]
            chosen = [p for p in chosen if region is None or region_of.get(p) == region]
            every = {
                p for p, r in region_of.items() if (not regions or r in regions) and (region is None or r == region)
            }
            if set(chosen) != every:  # every CPAS of the regions chosen is the same as none chosen
                return chosen
        if region is not None:
            return [region]
        return sorted(regions) if regions else [None]

    def _allowances(self, source: str) -> list[str] | None:
        """The allowance types a figure adds up (None: all of them, the source's "all" cell)."""
        universe = cells.SOURCES[source].allowances
        chosen = [a for a in self.filters.allowances if a in universe]
        return None if not self.filters.allowances or set(chosen) == set(universe) else chosen

    def _hides(self, source: str, months: Sequence[dt.date], choice: Mapping[str, object] | None = None) -> bool:
        """Whether a single figure (a KPI) over ``months`` and the filters adds up a hidden cell."""
        wanted = {"allowance_type": self._allowances(source), **(choice or {})}
        geo = self._geo()
        return any(cells.month(self.snapshot, source, m).hides(geo, wanted) for m in months)

    def _adds_hidden_cells(
        self, frame: pd.DataFrame, source: str, back: Sequence[int], every: Sequence[str]
    ) -> pd.Series:
        """Per row of ``frame``: whether it adds up a hidden cell of ``source`` (its coordinates are its columns:
        month, region, CPAS, the source's dimensions; the filters give the rest)."""
        if frame.empty:
            return pd.Series(False, index=frame.index, dtype=bool)
        dims = cells.SOURCES[source].dims
        allowances = self._allowances(source)
        period = self._months()
        by_month: dict[dt.date, privacy.Cells] = {}

        def month(first_day: dt.date) -> privacy.Cells:
            if first_day not in by_month:
                by_month[first_day] = cells.month(self.snapshot, source, first_day)
            return by_month[first_day]

        hidden = []
        for row in frame.to_dict("records"):
            months = [row["month"]] if "month" in row else period
            months = [add_months(m, shift) for m in months for shift in (0, *back)]
            geo = self._geo(row.get("region"), row.get("pcsa_cbe_number"))
            choice: dict[str, object] = {d: [row[d]] for d in dims if d in row}
            choice.setdefault("allowance_type", allowances)
            choice.update({d: privacy.EVERY for d in every})
            hidden.append(any(month(m).hides(geo, choice) for m in months))
        return pd.Series(hidden, index=frame.index, dtype=bool)

    def _figures(self, row: dict[str, object]) -> dict[str, object]:
        return privacy.figures(row) if self.user.is_partner else row

    # Overview
    def totals(self) -> dict[str, object]:
        """Amount, amount already FINAL (and its share), beneficiary-months and the average per beneficiary-month."""
        row = amounts.totals(self.snapshot, self.filters).iloc[0].to_dict()
        amount, paid, final = row["amount"], row["beneficiary_months"], row.pop("final_beneficiary_months")
        row["final_share"] = float(row["final_amount"] / amount) if amount else None
        row["avg_amount"] = amount / paid if paid else None
        shown = self._figures(row)
        if not self.user.is_partner:
            return shown
        months = self._months()
        if self._hides(AMOUNTS, months):
            shown = {k: v if isinstance(v, privacy.Hidden) else privacy.Hidden(small=False) for k, v in shown.items()}
        if (
            privacy.is_small(final)
            or privacy.is_small(paid - final)
            or self._hides(AMOUNTS, months, {"finality_status": ["FINAL"]})
        ):
            # The amount paid minus the final part would be the amount of the few people not yet final.
            shown["final_amount"] = shown["final_share"] = privacy.Hidden(small=False)
        return shown

    def monthly_by(self, dimension: str) -> pd.DataFrame:
        return self._shown(amounts.monthly_by(self.snapshot, self.filters, dimension), MONTH, AMOUNTS)

    def year_on_year(self) -> pd.DataFrame:
        return self._shown(amounts.year_on_year(self.snapshot, self.filters), WHOLE, AMOUNTS, back=(-12,))

    # CPAS explorer
    def pcsa_ranking(self, *, chosen_only: bool) -> pd.DataFrame:
        """The chosen CPAS, or every CPAS of the other filters (the ranking ignores the CPAS choice)."""
        filters = self.filters if chosen_only else dataclasses.replace(self.filters, pcsa=())
        return self._shown(amounts.pcsa_ranking(self.snapshot, filters), WHOLE, AMOUNTS)

    def pcsa_monthly(self) -> pd.DataFrame:
        return self._shown(amounts.pcsa_monthly(self.snapshot, self.filters), MONTH, AMOUNTS)

    # Finality
    def finality_by_month(self) -> pd.DataFrame:
        return self._shown(amounts.finality_by_month(self.snapshot, self.filters), MONTH, AMOUNTS)

    def finality_totals(self) -> dict[str, dict[str, object]]:
        """Per finality status over the period: amount, beneficiary-months and share of the period's amount.

        The three are parts of the period's total (shown on the Overview), so they are suppressed together.
        """
        raw = amounts.finality_by_month(self.snapshot, self.filters)
        sums = (
            raw.groupby("finality_status")[["beneficiaries", "amount"]].sum()
            if not raw.empty
            else pd.DataFrame(columns=["beneficiaries", "amount"])
        )
        sums = sums.reindex(list(FINALITY_STATUSES)).fillna(0)
        total = sums["amount"].sum()
        frame = pd.DataFrame(
            {
                "finality_status": FINALITY_STATUSES,
                "beneficiaries": [int(v) for v in sums["beneficiaries"]],
                "amount": list(sums["amount"]),
                "share": [float(a / total) if total else None for a in sums["amount"]],
            }
        )
        if self.user.is_partner:
            hide = privacy.hidden_rows(frame, by=WHOLE, also=self._adds_hidden_cells(frame, AMOUNTS, (), ()))
        else:
            hide = pd.Series(False, frame.index)
        return {
            row["finality_status"]: {k: privacy.Hidden(small=False) for k in row} if hidden else row
            for row, hidden in zip(frame.to_dict("records"), hide, strict=True)
        }

    def amount_convergence(self, months: int = 12) -> pd.DataFrame:
        """Each benefit month's total at every refresh, for the last ``months`` months of the period."""
        history = self._shown(amounts.amount_convergence(self.snapshot, self.filters), ALONE, "amount_history")
        recent = sorted(history["month"].unique())[-months:]
        return history[history["month"].isin(recent)]

    def revisions(self) -> pd.DataFrame:
        return self._shown(
            amounts.revisions(self.snapshot, self.filters), ALONE, "amount_history", every=("reference_date",)
        )

    def late_revisions(self) -> pd.DataFrame:
        return self._shown(amounts.late_revisions(self.snapshot, self.filters), WHOLE, "dq_late_revisions")

    def late_revision_totals(self) -> dict[str, object]:
        late = amounts.late_revisions(self.snapshot, self.filters)
        shown = self._figures({"lines": int(late["lines"].sum()), "amount": late["amount"].sum()})
        if self.user.is_partner and self._hides("dq_late_revisions", self._months()):
            shown = {k: v if isinstance(v, privacy.Hidden) else privacy.Hidden(small=False) for k, v in shown.items()}
        return shown

    # Data quality
    def final_moves_accepted(self) -> dict | None:
        """The operator's recorded decision to publish over moved FINAL months (national totals: anyone sees it)."""
        return quality.final_moves_accepted(self.snapshot)

    def rejections_by_code(self) -> pd.DataFrame:
        return self._shown(quality.rejections_by_code(self.snapshot, self.filters), ALONE, "dq_rejections")

    def rejections_by_pcsa(self) -> pd.DataFrame:
        """Per CPAS and code: a breakdown of each code's total, shown in the table above it. The CPAS with most
        rejections first, except for a partner analyst shown a withheld cell: the order would rank what the cell
        hides, so the CPAS come by name."""
        shown = self._shown(
            quality.rejections_by_pcsa(self.snapshot, self.filters), ("rejection_code",), "dq_rejections"
        )
        if self.user.is_partner and shown.attrs.get(formats.HIDDEN_CELLS):
            shown = shown.sort_values(["pcsa_name", "pcsa_cbe_number", "rejection_code"], kind="stable")
        return shown

    def open_rejections_by_age(self) -> pd.DataFrame:
        return self._shown(quality.open_rejections_by_age(self.snapshot, self.filters), ALONE, "dq_open_rejections")

    def open_rejection_lines(self) -> pd.DataFrame | None:
        """The open rejections line by line (personal data): None for a viewer who may not see people."""
        return quality.open_rejections(self.snapshot, self.filters) if self.sees_people else None

    def late_rights(self) -> pd.DataFrame:
        return self._shown(quality.late_rights(self.snapshot, self.filters), WHOLE, "right_events")

    def late_right_totals(self) -> dict[str, object]:
        late = quality.late_rights(self.snapshot, self.filters)
        hidden = self.user.is_partner and self._hides("right_events", self._months())
        return {
            field: privacy.Hidden(small=False)
            if hidden and not privacy.is_small(late[field].sum())
            else self._figures({field: int(late[field].sum()) if not late.empty else 0})[field]
            for field in ("late_decisions", "late_registrations")
        }

    def late_rights_by_pcsa(self) -> pd.DataFrame:
        return self._shown(quality.late_rights_by_pcsa(self.snapshot, self.filters), WHOLE, "right_events")

    def payments_outside_rights(self) -> pd.DataFrame:
        return self._shown(
            quality.payments_outside_rights(self.snapshot, self.filters), ALONE, "dq_payments_outside_rights"
        )

    def quarantined_files(self) -> pd.DataFrame:
        """Refused upstream files; without the reason for a partner, since a reason may quote a line's values."""
        return self._shown(quality.quarantined_files(self.snapshot), ALONE, None, personal=("reason",))

    # Consultations
    @property
    def institution(self) -> str | None:
        """Whose consultations are shown: None for all; a partner's own institution ("-", none, without one)."""
        return (self.user.cbe_number or "-") if self.user.is_partner else None

    def consultations_per_institution(self, days: consultations.Days) -> pd.DataFrame:
        return consultations.per_institution(self.snapshot, days, self.institution)

    def requests_per_institution(self, days: consultations.Days) -> pd.DataFrame:
        frame = self.consultations_per_institution(days)
        return frame.groupby("institution", as_index=False)["requests"].sum()

    def consultation_totals(self, days: consultations.Days) -> dict[str, object]:
        frame = self.consultations_per_institution(days)
        latency = self.consultation_latency(days)
        requests = int(frame["requests"].sum()) if not frame.empty else 0
        refusals = int(frame["refusals"].sum()) if not frame.empty else 0
        return {
            "requests": requests,
            "refusals": refusals,
            "refusal_rate": refusals / requests if requests else None,
            "p95_ms": latency["p95_ms"].max() if not latency.empty else None,
        }

    def consultation_refusals(self, days: consultations.Days) -> pd.DataFrame:
        return consultations.refusals(self.snapshot, days, self.institution)

    def consultation_latency(self, days: consultations.Days) -> pd.DataFrame:
        return consultations.latency(self.snapshot, days, self.institution)

    def consultations_per_day(self, days: consultations.Days) -> pd.DataFrame:
        return consultations.daily(self.snapshot, days, self.institution)

    def sign_ins(self) -> pd.DataFrame | None:
        """The record of sign-ins to the dashboards, newest first (usernames and addresses: SPP IS analysts
        only; None for anyone else)."""
        return signins.recent() if self.sees_people else None

    # Person lookup
    def person(self, ssin: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One person's months as beneficiary and as partner; refused to a viewer who may not see people."""
        if not self.sees_people:
            raise PermissionError("the person lookup is for SPP IS analysts only")
        return people.as_beneficiary(self.snapshot, ssin), people.as_partner(self.snapshot, ssin)

    def log_lookup(self, ssin: str, rows: int) -> None:
        people.log_lookup(self.snapshot, self.user.username, ssin, rows)


def current() -> Viewer:
    """The viewer of this run (a page opened without one, not signed in, stops there)."""
    return Viewer.of(page_context())
