"""Every page through AppTest, signed in, on the fixture snapshot: renders, shows the figures the fixture
implies, follows the filters, and hides what a partner analyst must not see."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from dashboards_fixture import (
    ANALYST,
    APP,
    BRUXELLES,
    FULL_CAT2,
    GENT,
    NAMUR,
    PARTNER,
    PARTNER_ANALYST,
    PERSON,
    agg_rows,
    publish_fixture,
)
from streamlit.testing.v1 import AppTest

from dashboards.lib import navigation
from dashboards.lib.formats import HIDDEN
from dashboards.lib.tables import euros

# every page of the navigation, by its path
PAGES = {page.path: page for page in navigation.PAGES}
MARCH = dt.date(2026, 3, 1)


def click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def table(at: AppTest, first_column: str, *more: str):
    """The first table whose headers start with ``first_column`` (then ``more``)."""
    for frame in at.dataframe:
        columns = list(frame.value.columns)
        if columns[: 1 + len(more)] == [first_column, *more]:
            return frame.value
    headers = [list(frame.value.columns) for frame in at.dataframe]
    raise AssertionError(f"no table starting with {[first_column, *more]}: {headers}")


def expected(months: tuple[dt.date, dt.date], *, region: str | None = None, allowance: str | None = None):
    """Amount, final amount and beneficiary-months from the fixture rows themselves (the oracle)."""
    rows = [
        r for r in agg_rows() if months[0] <= r[0] <= months[1] and region in (None, r[2]) and allowance in (None, r[3])
    ]
    return (
        sum((r[9] for r in rows), Decimal(0)),
        sum((r[9] for r in rows if r[5] == "FINAL"), Decimal(0)),
        sum(r[6] for r in rows),
    )


def test_sign_in_is_required_and_a_wrong_password_is_refused(home: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Living wages – amounts"]
    assert not at.metric  # nothing of the data before signing in
    at.text_input(key="login_username").input(ANALYST[0])
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Unknown username or wrong password."]
    assert not at.metric
    at.text_input(key="login_username").input("nobody")
    at.text_input(key="login_password").input(ANALYST[1])
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Unknown username or wrong password."]


def test_only_argon2id_hashes_of_known_roles_open_the_door(tmp_path: Path, monkeypatch) -> None:
    from argon2 import PasswordHasher, Type

    from dashboards.lib.auth import authenticate, still_valid
    from dashboards.lib.snapshot import current_snapshot

    argon2id = PasswordHasher()
    publish_fixture(
        tmp_path,
        extra_users=(
            ("old", PasswordHasher(type=Type.I).hash("weak-type"), "ANALYST", None),
            ("odd", argon2id.hash("odd-role"), "ADMIN", None),
        ),
    )
    monkeypatch.setenv("LWW_HOME", str(tmp_path))
    ref = current_snapshot()
    user = authenticate(ref, ANALYST[0], ANALYST[1])
    assert user is not None and user.role == "ANALYST" and user.may_look_up_people
    partner = authenticate(ref, PARTNER_ANALYST[0], PARTNER_ANALYST[1])
    assert partner is not None and partner.is_partner and not partner.may_look_up_people
    assert still_valid(ref, partner)
    assert authenticate(ref, ANALYST[0], PARTNER_ANALYST[1]) is None
    assert authenticate(ref, "old", "weak-type") is None  # argon2i: refused even with the right password
    assert authenticate(ref, "odd", "odd-role") is None  # unknown role


def test_without_a_published_snapshot_the_app_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LWW_HOME", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "lww refresh" in at.info[0].value


def test_every_page_renders_with_a_csv_download_under_every_table(signed_in) -> None:
    at = signed_in(ANALYST)
    for path, page in PAGES.items():
        at.switch_page(path).run()
        assert not at.exception, (path, at.exception)
        assert at.title[0].value == page.title
        assert len(at.download_button) == len(at.dataframe), path
    assert [t.value for t in at.title] == ["Person lookup"]


def test_overview_shows_the_default_period_totals(signed_in) -> None:
    at = signed_in(ANALYST)
    amount, final, people = expected((dt.date(2025, 7, 1), dt.date(2026, 6, 1)))
    shown = metrics(at)
    assert shown["Amount paid"] == euros(amount) == "1.458.761,88 €"
    assert shown["of which final"] == euros(final)
    assert shown["Beneficiary-months"] == f"{people:,}".replace(",", ".")
    assert "Jul 2025 – Jun 2026" in at.caption[0].value


def test_how_much_ris_flemish_cpas_paid_in_march_and_how_much_is_final(signed_in) -> None:
    """The question a new analyst must answer in a few clicks: region, allowance type, one month."""
    at = signed_in(ANALYST)
    at.multiselect(key="filter_regions").set_value(["FLANDERS"])
    at.multiselect(key="filter_allowances").set_value(["LIVING_WAGE"])
    at.select_slider(key="filter_period").set_value((MARCH, MARCH)).run()
    assert not at.exception
    shown = metrics(at)
    # Gent, March 2026: 32 beneficiaries at 1314.20, two of them still with an open rejection.
    assert shown["Amount paid"] == "42.054,40 €"
    assert shown["of which final"] == "39.426,00 €"
    assert at.metric[1].delta == "93,8 % final"
    assert (Decimal("42054.40"), Decimal("39426.00"), 32) == expected(
        (MARCH, MARCH), region="FLANDERS", allowance="LIVING_WAGE"
    )


def test_filters_persist_across_pages(signed_in) -> None:
    at = signed_in(ANALYST)
    at.multiselect(key="filter_regions").set_value(["FLANDERS"])
    at.select_slider(key="filter_period").set_value((MARCH, MARCH)).run()
    at.switch_page("app_pages/finality.py").run()
    assert not at.exception
    assert at.multiselect(key="filter_regions").value == ["FLANDERS"]
    assert at.select_slider(key="filter_period").value == (MARCH, MARCH)
    assert "Mar 2026 · Flanders" in at.caption[0].value
    shown = metrics(at)
    assert shown["Final"] == "39.426,00 €"
    assert shown["Consolidating"] == "2.628,40 €"
    assert shown["Provisional"] == "0,00 €"


def test_overview_breaks_down_by_region_and_compares_with_a_year_before(signed_in) -> None:
    at = signed_in(ANALYST)
    at.select_slider(key="filter_period").set_value((MARCH, MARCH)).run()
    at.segmented_control(key="overview_by").set_value("region").run()
    by_region = table(at, "Month", "Region")
    amounts = dict(zip(by_region["Region"], by_region["Amount (EUR)"], strict=True))
    assert amounts == {
        "Brussels": FULL_CAT2 * 42 + Decimal("2628.39"),
        "Flanders": FULL_CAT2 * 32,
        "Wallonia": FULL_CAT2 * 24,
    }
    yoy = table(at, "Month", "Beneficiaries", "Beneficiaries a year before")
    assert len(yoy) == 1
    assert yoy["Beneficiaries"][0] == 32 + 24 + 42 + 3
    assert yoy["Beneficiaries a year before"][0] == 20 + 12 + 30 + 3


def test_cpas_explorer_compares_the_chosen_cpas_and_ranks_them_all(signed_in) -> None:
    at = signed_in(ANALYST)
    at.select_slider(key="filter_period").set_value((MARCH, MARCH))
    at.multiselect(key="filter_pcsa").set_value([GENT, NAMUR]).run()
    at.switch_page("app_pages/cpas_explorer.py").run()
    assert not at.exception
    selected = table(at, "CPAS CBE number", "CPAS")  # the whole table, in the expander under the one shown
    assert set(selected["CPAS"]) == {"Gent", "Namur"}  # in English, each in its region's language
    namur = selected[selected["CPAS"] == "Namur"].iloc[0]
    assert namur["Amount (EUR)"] == FULL_CAT2 * 24
    assert namur["Rejection rate"] == pytest.approx(1 / 25, abs=1e-4)  # 1 open rejection among 24 accepted lines
    assert namur["Share of partial months"] == pytest.approx(1 / 24, abs=1e-4)
    ranking = table(at, "Rank", "CPAS CBE number")
    assert list(ranking["CPAS CBE number"]) == [BRUXELLES, GENT, NAMUR]  # the ranking ignores the CPAS choice
    assert list(ranking["Rank"]) == [1, 2, 3]


def test_finality_shows_convergence_and_late_revisions(signed_in) -> None:
    at = signed_in(ANALYST)
    at.switch_page("app_pages/finality.py").run()
    assert not at.exception
    revisions = table(at, "Month", "Refreshes")
    january = revisions[revisions["Month"] == dt.date(2026, 1, 1)].iloc[0]
    total = FULL_CAT2 * 30  # Gent, January 2026
    assert january["First published (EUR)"] == (total * Decimal("0.90")).quantize(Decimal("0.01"))
    assert january["Latest (EUR)"] == total
    assert january["Refreshes"] == 6
    shown = metrics(at)
    assert shown["Late revision lines"] == "1"
    assert shown["Amount of late revisions"] == "120,00 €"


def test_data_quality_counts_rejections_late_rights_and_quarantine(signed_in) -> None:
    at = signed_in(ANALYST)
    at.switch_page("app_pages/data_quality.py").run()
    assert not at.exception
    by_code = table(at, "Rejection code")
    assert dict(zip(by_code["Rejection code"], by_code["Lines"], strict=True)) == {"R02": 7, "R01": 3, "R03": 1}
    by_age = table(at, "Age (months)")
    assert list(by_age["Age (months)"]) == [1, 3, 7]
    assert list(by_age["Abandoned"]) == [False, False, True]
    shown = metrics(at)
    assert shown["Late decisions (> 30 days)"] == "1"
    assert shown["Late registrations (> 7 days)"] == "1"
    assert shown["Quarantined files"] == "1"
    quarantined = table(at, "Quarantined at")
    assert quarantined["Reason"][0] == "replacesLineId points to no known line"
    outside = table(at, "CPAS CBE number", "CPAS", "Lines")
    assert outside["Lines"][0] == 2 and outside["Amount (EUR)"][0] == Decimal("1314.20")
    # A filter on Gent leaves its own rejections only.
    at.multiselect(key="filter_pcsa").set_value([GENT]).run()
    by_code = table(at, "Rejection code")
    assert dict(zip(by_code["Rejection code"], by_code["Lines"], strict=True)) == {"R02": 7}


def test_consultations_per_institution_refusals_and_latency(signed_in) -> None:
    at = signed_in(ANALYST)
    at.switch_page("app_pages/consultations.py").run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Requests"] == "6" and shown["Refused"] == "2"
    refusals = table(at, "Status")
    assert set(zip(refusals["Status"], refusals["Status code"], strict=True)) == {
        ("NO_RESULT", "MSG00012"),
        ("NO_RESULT", "MSG00013"),
    }
    latency = table(at, "Operation")
    assert latency.set_index("Operation")["Median (ms)"]["getLivingWages"] == 12.0


def test_person_lookup_validates_the_ssin_shows_the_months_and_logs_the_lookup(signed_in, home: Path) -> None:
    at = signed_in(ANALYST)
    at.switch_page("app_pages/person_lookup.py").run()
    at.text_input(key="lookup_input").input("85073003399")
    click(at, "Look up")
    assert "check digits" in at.error[0].value
    at.text_input(key="lookup_input").input(PERSON[:6] + "." + PERSON[6:9] + "-" + PERSON[9:])
    click(at, "Look up")
    assert not at.exception and not at.error
    shown = metrics(at)
    assert shown["Months as beneficiary"] == "2"
    assert shown["Total paid as beneficiary"] == "1.314,20 €"
    assert shown["Last indemnified month"] == "April 2026"
    rows = table(at, "Month", "CPAS CBE number", "Allowance type", "Household category", "Partner SSIN")
    assert list(rows["Partner SSIN"]) == [PARTNER, PARTNER]
    assert rows["Grant periods"][1] == "2026-04-01 – 2026-04-15"
    log = (home / "logs" / "dashboard-lookups.jsonl").read_text().splitlines()
    assert [json.loads(line)["ssin"] for line in log] == [PERSON]
    assert json.loads(log[0])["user"] == ANALYST[0]
    at.text_input(key="lookup_input").input(PARTNER)
    click(at, "Look up")
    as_partner = table(at, "Month", "CPAS CBE number", "Allowance type", "Household category", "Beneficiary SSIN")
    assert list(as_partner["Beneficiary SSIN"]) == [PERSON]


def test_partner_analyst_has_no_person_lookup_and_small_counts_are_suppressed(signed_in) -> None:
    at = signed_in(PARTNER_ANALYST)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/person_lookup.py")
    at.multiselect(key="filter_allowances").set_value(["EQUIVALENT_LIVING_WAGE"]).run()
    assert not at.exception
    # 3 people a month in Brussels: 36 beneficiary-months over the year, but the period a month shorter would
    # show 33, and the difference is one month's 3 people: withheld (a figure over months needs each month's).
    shown = metrics(at)
    assert shown["Beneficiary-months"] == "suppressed" and shown["Amount paid"] == "suppressed"
    monthly = table(at, "Month", "Allowance type")
    assert (monthly["Beneficiaries"] == HIDDEN).all() and (monthly["Amount (EUR)"] == HIDDEN).all()
    at.select_slider(key="filter_period").set_value((MARCH, MARCH)).run()
    shown = metrics(at)  # one month: 3 beneficiary-months, suppressed with their amount
    assert shown["Beneficiary-months"] == "< 5" and shown["Amount paid"] == "suppressed"
    at.switch_page("app_pages/data_quality.py").run()
    assert not at.exception
    # No rejection of an equivalent living wage: said in words, with no empty table.
    assert not [f for f in at.dataframe if list(f.value.columns)[:1] == ["Rejection code"]]
    assert "No rejected line for this selection" in at.info[0].value
    assert "Reason" not in table(at, "Quarantined at").columns
    assert not [e for e in at.expander if "personal data" in e.label]
    at.multiselect(key="filter_allowances").set_value([])
    at.select_slider(key="filter_period").set_value((dt.date(2025, 7, 1), dt.date(2026, 6, 1))).run()
    shown = metrics(at)  # one late decision, one late registration: too few to show
    assert shown["Late decisions (> 30 days)"] == "< 5" and shown["Late registrations (> 7 days)"] == "< 5"
    at.switch_page("app_pages/finality.py").run()
    shown = metrics(at)
    assert shown["Late revision lines"] == "< 5" and shown["Amount of late revisions"] == "suppressed"


def test_partner_analyst_sees_the_same_figures_when_counts_are_large_enough(signed_in) -> None:
    at = signed_in(PARTNER_ANALYST)
    at.multiselect(key="filter_regions").set_value(["FLANDERS"])
    at.select_slider(key="filter_period").set_value((MARCH, MARCH)).run()
    assert metrics(at)["Amount paid"] == "42.054,40 €"
    at.switch_page("app_pages/data_quality.py")
    at.select_slider(key="filter_period").set_value((dt.date(2026, 4, 1), dt.date(2026, 4, 1))).run()
    by_code = table(at, "Rejection code")
    assert by_code.set_index("Rejection code")["Lines"].to_dict() == {"R02": 7}


def test_partner_analyst_sees_only_his_institutions_consultations(signed_in) -> None:
    at = signed_in(PARTNER_ANALYST)
    at.switch_page("app_pages/consultations.py").run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Requests"] == "3" and shown["Refused"] == "1"
    assert set(table(at, "Institution")["Institution"]) == {"CIN"}


def test_a_new_snapshot_shows_at_the_next_run(signed_in, home: Path) -> None:
    at = signed_in(ANALYST)
    before = metrics(at)["Amount paid"]
    refresh_id = publish_fixture(home, factor=2)
    at.run()
    assert not at.exception
    after = metrics(at)["Amount paid"]
    amount, _, _ = expected((dt.date(2025, 7, 1), dt.date(2026, 6, 1)))
    equivalent = Decimal("2628.39") * 12
    assert before == euros(amount)
    assert after == euros((amount - equivalent) * 2 + equivalent)
    assert refresh_id in at.sidebar.markdown[0].value


def test_signing_out_forgets_the_user_and_the_filters(signed_in) -> None:
    at = signed_in(ANALYST)
    at.multiselect(key="filter_regions").set_value(["FLANDERS"]).run()
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    assert not at.metric
    assert "filter_regions" not in at.session_state


def test_a_current_pointer_to_a_missing_snapshot_gives_a_clear_error(home: Path) -> None:
    for manifest in (home / "published").glob("*.manifest.json"):
        manifest.unlink()
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "cannot be read" in at.error[0].value and "lww rollback" in at.error[0].value
