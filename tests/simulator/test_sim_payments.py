"""DOMAIN rules the payment lines must respect, and the cases they must exercise."""

from __future__ import annotations

import collections
import re

from kernel.codes import REJECTION_CODES
from kernel.identifiers import is_valid_cbe, is_valid_ssin
from kernel.scale import monthly_amount, pro_rata


def _month(day) -> int:
    return day.year * 12 + day.month - 1


def test_every_line_is_well_formed(small_run) -> None:
    for line in small_run.lines:
        assert (line["begin_date"].year, line["begin_date"].month) == (line["end_date"].year, line["end_date"].month)
        assert line["begin_date"] <= line["end_date"]
        assert re.fullmatch(r"\d{1,10}\.\d{2}", line["amount_text"]), line["amount_text"]
        assert line["amount"] >= 0
        assert is_valid_ssin(line["ssin"]) and is_valid_cbe(line["pcsa_cbe_number"])
        assert line["partner_ssin"] is None or is_valid_ssin(line["partner_ssin"])
        assert line["partner_ssin"] != line["ssin"]
        assert line["payment_date"] <= line["acceptance_date"]
        assert len(line["line_id"]) <= 36
        if line["decision"] == "REJECTED":
            assert line["rejection_code"] in REJECTION_CODES
        else:
            assert line["decision"] == "ACCEPTED" and line["rejection_code"] is None


def test_each_line_is_in_the_file_of_its_acceptance_month(small_run) -> None:
    for line in small_run.lines:
        assert line["file_id"].startswith(f"PAY-{line['acceptance_date']:%Y-%m}-"), line
    ids = [line["line_id"] for line in small_run.lines]
    assert len(ids) == len(set(ids))


def test_original_amounts_follow_the_scale_pro_rata(small_run) -> None:
    full = partial = 0
    for line in small_run.lines:
        if line["replaces_line_id"] or line["allowance_type"] == "FAMILY_ALLOWANCE_ADVANCE":
            continue
        scale = monthly_amount(line["begin_date"].replace(day=1), line["household_category"])
        assert line["amount"] == pro_rata(scale, line["begin_date"], line["end_date"]), line
        if line["amount"] == scale:
            full += 1
        else:
            partial += 1
    assert full > 1000 and partial > 50


def test_replacements_point_backwards_to_the_same_person_and_cpas(small_run) -> None:
    by_id = {line["line_id"]: line for line in small_run.lines}
    replaced = collections.Counter()
    reintroductions = corrections = 0
    for line in small_run.lines:
        target_id = line["replaces_line_id"]
        if target_id is None:
            continue
        target = by_id[target_id]  # points to a known line
        replaced[target_id] += 1
        assert _month(target["acceptance_date"]) < _month(line["acceptance_date"])
        assert (target["ssin"], target["pcsa_cbe_number"]) == (line["ssin"], line["pcsa_cbe_number"])
        assert (target["begin_date"], target["end_date"]) == (line["begin_date"], line["end_date"])
        if target["decision"] == "REJECTED":
            reintroductions += 1
        else:
            corrections += 1
    assert max(replaced.values()) == 1  # never replaced twice
    assert reintroductions > 20 and corrections > 20


def test_the_lifecycle_cases_are_all_exercised(small_run) -> None:
    lines = small_run.lines
    by_id = {line["line_id"]: line for line in lines}

    def depth(line) -> int:
        return 0 if line["replaces_line_id"] is None else 1 + depth(by_id[line["replaces_line_id"]])

    assert max(depth(line) for line in lines) >= 2  # chains of three lines
    rejected = [line for line in lines if line["decision"] == "REJECTED"]
    assert 0.01 < len(rejected) / len(lines) < 0.08
    replaced_ids = {line["replaces_line_id"] for line in lines}
    assert any(line["line_id"] not in replaced_ids for line in rejected)  # some never re-introduced
    late = [line for line in lines if _month(line["acceptance_date"]) >= _month(line["begin_date"]) + 7]
    assert late and all(line["replaces_line_id"] for line in late)
    changed = [
        line
        for line in lines
        if line["replaces_line_id"]
        and by_id[line["replaces_line_id"]]["decision"] == "ACCEPTED"
        and line["household_category"] != by_id[line["replaces_line_id"]]["household_category"]
    ]
    assert changed  # corrections of the category
    assert any(line["amount"] == 0 and line["decision"] == "ACCEPTED" for line in lines)
    assert {line["allowance_type"] for line in lines} == {
        "LIVING_WAGE",
        "EQUIVALENT_LIVING_WAGE",
        "FAMILY_ALLOWANCE_ADVANCE",
    }
    # A category change inside a month: two original lines of one person and month, adjacent periods.
    per_cell = collections.defaultdict(list)
    for line in lines:
        if line["replaces_line_id"] is None and line["allowance_type"] != "FAMILY_ALLOWANCE_ADVANCE":
            per_cell[(line["ssin"], line["pcsa_cbe_number"], line["begin_date"].replace(day=1))].append(line)

    def adjacent(first, second) -> bool:
        return (second["begin_date"] - first["end_date"]).days == 1

    splits = [
        cell
        for cell in per_cell.values()
        if len(cell) == 2
        and cell[0]["household_category"] != cell[1]["household_category"]
        and (adjacent(cell[0], cell[1]) or adjacent(cell[1], cell[0]))
    ]
    assert splits
    # People who move: one person paid by two CPAS over the window.
    cpas_of = collections.defaultdict(set)
    for line in lines:
        cpas_of[line["ssin"]].add(line["pcsa_cbe_number"])
    assert any(len(cpas) > 1 for cpas in cpas_of.values())
    # Couples: both partners are beneficiaries, each the other's partner.
    pairs = {(line["ssin"], line["partner_ssin"]) for line in lines if line["partner_ssin"]}
    assert any((b, a) in pairs for a, b in pairs)


def test_beneficiaries_a_month_are_near_the_requested_size(small_run) -> None:
    per_month = collections.defaultdict(set)
    for line in small_run.lines:
        if line["replaces_line_id"] is None and line["allowance_type"] != "FAMILY_ALLOWANCE_ADVANCE":
            per_month[line["begin_date"].replace(day=1)].add(line["ssin"])
    counts = [len(people) for people in per_month.values()]
    assert len(counts) == 15  # benefit months 2023-12 .. 2025-02
    assert all(200 <= count <= 400 for count in counts), counts
