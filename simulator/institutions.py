"""The partner institutions, what each may consult, and who subscribes to notifications (DOMAIN.md).

Reference data, not code: this table only feeds ``reference/*.csv``. Sector codes 11, 16-18, 21, 50, 53-55 are
the CBSS codes named in DOMAIN.md; the others are synthetic (plausible, not official). CBE numbers are
synthetic and valid. Deliberation numbers are the known ones where DOMAIN.md names them (mutualities 00/036,
07/025, 99/107; family allowances 01/090), otherwise plausible.
"""

from __future__ import annotations

from dataclasses import dataclass

LW = "LivingWages:*"
LWA = "LivingWagesWithAmount:*"
NOTIFY = "LivingWagesNotifications:*"
EXTRACT = "LivingWagesWithAmount:extract"  # the yearly SPF Finances extract, not a consultation
OPERATIONS = (
    "getLivingWagePeriods",
    "getLivingWagePeriodsFlanders",
    "getLivingWagePeriodsPerPCSA",
    "getLivingWagePeriodsPerPCSAFlanders",
    "getLivingWages",
    "getLivingWagesWithAmount",
)
SERVICE_WILDCARDS = (LW, LWA, NOTIFY)


@dataclass(frozen=True)
class Grant:
    operation: str
    legal_context: str
    deliberation: str | None
    valid_from: str
    valid_to: str | None = None
    withheld: str = ""  # LivingWages V3 elements the deliberation does not grant, ';'-separated (CONTRACT 4.5)


@dataclass(frozen=True)
class Institution:
    key: str
    name: str
    sector: int
    username: str
    grants: tuple[Grant, ...]
    share: float  # of the people in its dossier repertory
    region: str | None = None  # when it only follows people of one region
    quality_code: str = "001"
    subscribes: bool = False
    with_attestation: bool = False


def _g(
    op: str,
    context: str,
    deliberation: str | None,
    since: str = "2010-01-01",
    until: str | None = None,
    withheld: str = "",
) -> Grant:
    return Grant(op, context, deliberation, since, until, withheld)


INSTITUTIONS: tuple[Institution, ...] = (
    Institution(
        "CIN",
        "Collège intermutualiste national (mutualités)",
        11,
        "cin",
        (
            _g(LW, "HEALTH_CARE_INSURANCE", "00/036"),
            _g(LWA, "HEALTH_CARE_INSURANCE", "07/025"),
            _g("getLivingWagePeriods", "HEALTH_CARE_INSURANCE", "99/107", "2000-01-01"),
            _g(NOTIFY, "HEALTH_CARE_INSURANCE", "00/036"),
        ),
        0.9,
        quality_code="001",
        subscribes=True,
    ),
    Institution(
        "INAMI",
        "INAMI - RIZIV",
        21,
        "inami",
        (_g(LWA, "HEALTH_CARE_INSURANCE", "07/025"), _g(LW, "HEALTH_CARE_INSURANCE", "99/107")),
        0.35,
        quality_code="002",
    ),
    Institution(
        "ONEM",
        "ONEM - RVA",
        18,
        "onem",
        (
            _g(LW, "UNEMPLOYMENT_INSURANCE", "12/076"),
            _g(LWA, "UNEMPLOYMENT_INSURANCE", "12/076"),
            _g("getLivingWagePeriods", "UNEMPLOYMENT_INSURANCE", "04/032", "2004-06-01", "2012-12-31"),
        ),
        0.25,
        quality_code="003",
    ),
    Institution(
        "SPF_FINANCES",
        "SPF Finances - FOD Financiën",
        50,
        "spf.finances",
        (
            _g("getLivingWagesWithAmount", "TAX_CONTROL", "14/091"),
            _g(EXTRACT, "TAX_CONTROL", "14/091"),  # the yearly extract of CONTRACT §7
        ),
        0.5,
        quality_code="004",
    ),
    Institution(
        "ONSS",
        "ONSS - RSZ",
        25,
        "onss",
        (_g("getLivingWages", "SOCIAL_SECURITY_CONTRIBUTIONS", "15/012"),),
        0.1,
        quality_code="005",
    ),
    Institution(
        "ONVA",
        "ONVA - RJV (vacances annuelles)",
        27,
        "onva",
        (_g("getLivingWagePeriods", "ANNUAL_HOLIDAYS", "16/044"),),
        0.05,
        quality_code="006",
    ),
    Institution(
        "INASTI",
        "INASTI - RSVZ",
        33,
        "inasti",
        (_g(LW, "SELF_EMPLOYED_SOCIAL_STATUS", "11/059"), _g(NOTIFY, "SELF_EMPLOYED_SOCIAL_STATUS", "11/059")),
        0.05,
        quality_code="007",
        subscribes=True,
    ),
    Institution(
        "SPF_SS",
        "SPF Sécurité sociale - FOD Sociale Zekerheid",
        30,
        "spf.socsec",
        (_g("getLivingWagesWithAmount", "DISABILITY_ALLOWANCES", "13/126"),),
        0.08,
        quality_code="008",
    ),
    Institution(
        "SPF_ETCS",
        "SPF Emploi, Travail et Concertation sociale",
        31,
        "spf.etcs",
        (_g("getLivingWagePeriods", "SOCIAL_FRAUD", "17/031"),),
        0.03,
        quality_code="009",
    ),
    Institution(
        "SPF_ECONOMY",
        "SPF Économie (tarif social gaz et électricité)",
        32,
        "spf.economie",
        (_g("getLivingWagePeriods", "SOCIAL_TARIFF", "07/052"),),
        0.6,
        quality_code="010",
    ),
    Institution(
        "VDAB",
        "VDAB",
        53,
        "vdab",
        (_g("getLivingWagePeriodsFlanders", "EMPLOYMENT_GUIDANCE", "18/184"),),
        0.4,
        "FLANDERS",
        "011",
    ),
    Institution(
        "ACTIRIS",
        "Actiris",
        54,
        "actiris",
        (
            _g("getLivingWagePeriodsPerPCSA", "EMPLOYMENT_GUIDANCE", "18/185"),
            _g(NOTIFY, "EMPLOYMENT_GUIDANCE", "18/185"),
        ),
        0.4,
        "BRUSSELS",
        "012",
        subscribes=True,
    ),
    Institution(
        "FOREM",
        "Le Forem",
        55,
        "forem",
        # a regional body whose deliberation does not cover the household composition nor the decisions
        (
            _g(
                "getLivingWagePeriodsPerPCSA",
                "EMPLOYMENT_GUIDANCE",
                "18/186",
                withheld="householdCategory;decisionDate",
            ),
        ),
        0.4,
        "WALLONIA",
        "013",
    ),
    Institution(
        "OPGROEIEN",
        "Opgroeien regie",
        70,
        "opgroeien",
        (
            _g("getLivingWagePeriodsFlanders", "FAMILY_ALLOWANCES", "01/090"),
            _g("getLivingWagesWithAmount", "FAMILY_ALLOWANCES", "01/090"),
            _g(NOTIFY, "FAMILY_ALLOWANCES", "01/090"),
        ),
        0.3,
        "FLANDERS",
        "014",
        subscribes=True,
        with_attestation=True,
    ),
    Institution(
        "IRISCARE",
        "Iriscare",
        71,
        "iriscare",
        (_g("getLivingWagePeriods", "FAMILY_ALLOWANCES", "01/090"), _g(NOTIFY, "FAMILY_ALLOWANCES", "01/090")),
        0.3,
        "BRUSSELS",
        "015",
        subscribes=True,
    ),
    Institution(
        "AVIQ",
        "AVIQ",
        72,
        "aviq",
        (_g("getLivingWages", "FAMILY_ALLOWANCES", "01/090"), _g(NOTIFY, "FAMILY_ALLOWANCES", "01/090")),
        0.3,
        "WALLONIA",
        "016",
        subscribes=True,
        with_attestation=True,
    ),
    Institution(
        "FIDUS",
        "FIDUS (allocations familiales)",
        73,
        "fidus",
        (_g("getLivingWagesWithAmount", "FAMILY_ALLOWANCES", "01/090"),),
        0.05,
        quality_code="017",
    ),
    Institution(
        "VDI",
        "Vlaamse Dienstenintegrator (KBI)",
        74,
        "vdi",
        (
            _g("getLivingWagePeriodsFlanders", "CIVIC_INTEGRATION", "19/022"),
            _g("getLivingWagePeriodsPerPCSAFlanders", "ADULT_EDUCATION", "20/118"),
            _g(NOTIFY, "CIVIC_INTEGRATION", "19/022"),
        ),
        0.2,
        "FLANDERS",
        "018",
        subscribes=True,
    ),
    Institution(
        "WONEN",
        "Wonen in Vlaanderen",
        75,
        "wonen.vlaanderen",
        (_g("getLivingWagePeriodsFlanders", "SOCIAL_HOUSING", "16/087", withheld="householdCategory"),),
        0.15,
        "FLANDERS",
        "019",
    ),
    Institution(
        "VWF",
        "Vlaams Woningfonds",
        76,
        "woningfonds",
        (_g("getLivingWagePeriodsFlanders", "SOCIAL_HOUSING", "16/088"),),
        0.05,
        "FLANDERS",
        "020",
    ),
    Institution(
        "DELIJN",
        "De Lijn",
        77,
        "delijn",
        (
            _g(
                "getLivingWagePeriodsFlanders",
                "PUBLIC_TRANSPORT_TARIFF",
                "15/064",
                withheld="householdCategory;lastEvent",
            ),
        ),
        0.1,
        "FLANDERS",
        "021",
    ),
    Institution(
        "STIB",
        "STIB - MIVB",
        78,
        "stib",
        (
            _g("getLivingWagePeriods", "PUBLIC_TRANSPORT_TARIFF", "15/065", "2015-09-01", "2020-12-31"),
            _g("getLivingWagePeriods", "PUBLIC_TRANSPORT_TARIFF", "21/014", "2021-01-01"),
        ),
        0.15,
        "BRUSSELS",
        "022",
    ),
    Institution(
        "IBPT",
        "IBPT - BIPT (tarif social télécom)",
        79,
        "ibpt",
        (_g("getLivingWagePeriods", "TELECOM_SOCIAL_TARIFF", "09/071"),),
        0.1,
        quality_code="023",
    ),
    Institution(
        "EPLATFORM",
        "Ministerium der DG - ePlatform",
        80,
        "eplatform.dg",
        (_g("getLivingWages", "SOCIAL_INTEGRATION", "17/102"),),
        0.02,
        quality_code="024",
    ),
    Institution(
        "SPRB",
        "Service public régional de Bruxelles",
        81,
        "sprb",
        (_g("getLivingWagePeriods", "SOCIAL_HOUSING", "18/093"),),
        0.1,
        "BRUSSELS",
        "025",
    ),
    Institution(
        "BCED",
        "Banque Carrefour d'Échange de Données (Wallonie)",
        82,
        "bced",
        (_g("getLivingWagesWithAmount", "STATISTICS", "19/077"),),
        0.1,
        "WALLONIA",
        "026",
    ),
    Institution(
        "SPF_JUSTICE",
        "SPF Justice",
        83,
        "spf.justice",
        (_g("getLivingWagePeriods", "JUDICIAL_INQUIRY", "14/036"),),
        0.02,
        quality_code="027",
    ),
    Institution(
        "SPF_INTERIOR",
        "SPF Intérieur - Office des étrangers",
        84,
        "spf.interieur",
        (_g("getLivingWages", "MIGRATION", "16/029"),),
        0.05,
        quality_code="028",
    ),
    Institution(
        "CTIF",
        "CTIF - CFI (cellule de traitement des informations financières)",
        85,
        "ctif",
        (_g("getLivingWagesWithAmount", "ANTI_MONEY_LAUNDERING", "17/060"),),
        0.01,
        quality_code="029",
    ),
    Institution(
        "POLICE",
        "Police fédérale",
        86,
        "police",
        (_g("getLivingWagePeriods", "POLICE_INQUIRY", "18/021"),),
        0.01,
        quality_code="030",
    ),
)

# The CPAS that also consult (for their own social inquiries): the first few CPAS of the run.
CPAS_CONSUMERS = 3
CPAS_GRANTS = (_g(LW, "SOCIAL_INTEGRATION", "11/026"), _g(LWA, "SOCIAL_INTEGRATION", "11/026"))
# The institution whose credentials `lww simulate` prints for a demo consultation.
DEMO_INSTITUTION = "INAMI"
DEMO_LEGAL_CONTEXT = "HEALTH_CARE_INSURANCE"
# Whose organisation the partner analyst of the dashboards belongs to.
PARTNER_ANALYST_OF = "CIN"
