"""Domain codes shared by every part: the vocabulary of DOMAIN.md and CONTRACT.md."""

from __future__ import annotations

ALLOWANCE_TYPES = ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE")
RIGHT_CATEGORIES = ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE")
HOUSEHOLD_CATEGORIES = (1, 2, 3)  # 1 cohabitant, 2 isolated, 3 living with a dependent family
HOUSEHOLD_CATEGORY_LABELS = {1: "cohabitant", 2: "isolated", 3: "with dependent family"}
DECISIONS = ("ACCEPTED", "REJECTED")
EVENT_TYPES = ("CREATE", "MODIFY", "CANCEL")
REGIONS = ("FLANDERS", "WALLONIA", "BRUSSELS")
FINALITY_STATUSES = ("PROVISIONAL", "CONSOLIDATING", "FINAL")  # least final first
PERSON_ROLES = ("BENEFICIARY", "PARTNER")
GROUPINGS = ("MONTH", "YEAR")
# The elements of a LivingWages V3 answer that an authorisation may withhold (``withheld`` column of
# authorizations.csv, CONTRACT sections 3 and 4.5), in the order the answer's ``dataFilters`` lists them.
WITHHOLDABLE_ELEMENTS = ("pcsaCbeNumber", "category", "householdCategory", "decisionDate", "lastEvent")

# Reasons SPP IS gives when it rejects a reimbursement line (synthetic but plausible).
REJECTION_CODES = {
    "R01": "beneficiary not entitled on these days",
    "R02": "amount above the scale of the category",
    "R03": "overlap with another CPAS",
    "R04": "missing social inquiry",
    "R05": "resources not deducted",
    "R06": "beneficiary unknown in the national register",
    "R07": "duplicate claim",
    "R08": "late claim (outside the claim period)",
}

# CBSS sector codes of the partner institutions.
SECTORS = {
    17: "CPAS",
    16: "SPP IS",
    18: "ONEM",
    21: "INAMI",
    50: "SPF Finances",
    11: "CIN",
    53: "VDAB",
    54: "Actiris",
    55: "FOREM",
}

# Consultation answer status (value, code), CONTRACT §4.3.
DATA_FOUND = ("DATA_FOUND", "MSG00000")
NO_DATA_FOUND = ("NO_DATA_FOUND", "MSG00100")
INVALID_REQUEST = ("NO_RESULT", "MSG00008")
INVALID_SSIN = ("NO_RESULT", "MSG00011")
NOT_INTEGRATED = ("NO_RESULT", "MSG00012")
NOT_AUTHORIZED = ("NO_RESULT", "MSG00013")
CBE_MISMATCH = ("NO_RESULT", "MSG00014")  # the body's cbeNumber is not the authenticated institution's
SERVICE_UNAVAILABLE_CODE = "MSG00001"
INTERNAL_ERROR_CODE = "MSG00003"
