"""The dashboards in French, Dutch and English: one catalogue, the language chosen in the sidebar and kept in the
URL (``?lang=nl``) and in the session, so that a reload and a shared link open in the same language.

Every string a page shows goes through :func:`t` with a key of :data:`CATALOGUE` (key -> text per language, the
same ``{placeholders}`` in each). Dates are written with the month and day names below, never with the machine's
locale; numbers stay Belgian in every language (:mod:`dashboards.lib.formats`). French is the default.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

LANGUAGES = ("fr", "nl", "en")
DEFAULT = "fr"
NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}
PICKER_LABEL = "Langue · Taal · Language"
LANG_KEY = "lww_lang"  # session state: the language chosen (the sidebar's widget key)
QUERY_KEY = "lang"  # the URL's query parameter

_forced: contextvars.ContextVar[str | None] = contextvars.ContextVar("lww_language", default=None)

MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
MONTHS_SHORT = {
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
    "nl": ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
WEEKDAYS = {  # Monday first, as date.weekday()
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

# key -> (French, Dutch, English); CATALOGUE below is key -> {"fr": …, "nl": …, "en": …}, with the same
# {placeholders} in the three (tests/dashboards check it). Belgian administrative wording: CPAS / OCMW, revenu
# d'intégration / leefloon, bénéficiaires / begunstigden.
_TEXTS: dict[str, tuple[str, str, str]] = {
    # -- the page (browser tab), the navigation, the pages shown alone
    "app.title": ("Revenu d'intégration – montants", "Leefloon – bedragen", "Living wages – amounts"),
    "app.unreadable": (
        "Les données publiées sont illisibles : {error}. Lancez `lww rollback` ou `lww refresh`.",
        "De gepubliceerde gegevens zijn onleesbaar: {error}. Voer `lww rollback` of `lww refresh` uit.",
        "The published data cannot be read: {error}. Run `lww rollback` or `lww refresh`.",
    ),
    "nav.section.amounts": ("Montants", "Bedragen", "Amounts"),
    "nav.section.operations": ("Exploitation", "Beheer", "Operations"),
    "nav.section.personal": ("Données personnelles", "Persoonsgegevens", "Personal data"),
    "nav.overview": ("Vue d'ensemble", "Overzicht", "Overview"),
    "nav.cpas_explorer": ("Explorateur CPAS", "OCMW-verkenner", "CPAS explorer"),
    "nav.finality": ("Finalité", "Finaliteit", "Finality"),
    "nav.data_quality": ("Qualité des données", "Datakwaliteit", "Data quality"),
    "nav.consultations": ("Consultations", "Raadplegingen", "Consultations"),
    "nav.notifications": ("Notifications", "Notificaties", "Notifications"),
    "nav.extracts": ("Extraits", "Extracten", "Extracts"),
    "nav.person_lookup": ("Recherche de personne", "Persoon opzoeken", "Person lookup"),
    "nav.sign_in": ("Connexion", "Aanmelden", "Sign in"),
    "nav.no_snapshot": ("Pas encore de données", "Nog geen gegevens", "No data yet"),
    "session.sign_in_first": (
        "Veuillez d'abord vous connecter.",
        "Meld u eerst aan.",
        "Please sign in first.",
    ),
    # -- sign-in
    "login.caption": (
        "Tableaux de bord pour les analystes du SPP IS et des institutions partenaires. Données personnelles : "
        "connectez-vous avec votre compte.",
        "Dashboards voor de analisten van de POD MI en van de partnerinstellingen. Persoonsgegevens: meld u aan "
        "met uw account.",
        "Dashboards for SPP IS and partner analysts. Personal data: sign in with your dashboard account.",
    ),
    "login.username": ("Nom d'utilisateur", "Gebruikersnaam", "Username"),
    "login.password": ("Mot de passe", "Wachtwoord", "Password"),
    "login.submit": ("Se connecter", "Aanmelden", "Sign in"),
    "login.wrong": (
        "Nom d'utilisateur inconnu ou mot de passe erroné.",
        "Onbekende gebruikersnaam of verkeerd wachtwoord.",
        "Unknown username or wrong password.",
    ),
    "login.locked": (
        "Trop de connexions échouées : compte bloqué encore {minutes} minute(s).",
        "Te veel mislukte aanmeldingen: nog {minutes} minuut/minuten geblokkeerd.",
        "Too many failed sign-ins: locked for {minutes} more minute(s).",
    ),
    "login.throttled": (
        "Trop de connexions échouées : attendez {seconds} s avant de réessayer.",
        "Te veel mislukte aanmeldingen: wacht {seconds} s voor u het opnieuw probeert.",
        "Too many failed sign-ins: wait {seconds} s before trying again.",
    ),
    "no_snapshot.info": (
        "Aucun instantané publié pour l'instant. Lancez `lww refresh` (ou `lww demo`) pour que le pipeline en "
        "publie un ; cette page le montrera au prochain rechargement.",
        "Nog geen gepubliceerde momentopname. Voer `lww refresh` (of `lww demo`) uit zodat de pijplijn er een "
        "publiceert; deze pagina toont ze bij de volgende herlading.",
        "No published snapshot yet. Run `lww refresh` (or `lww demo`) so the pipeline publishes one; this page "
        "picks it up at the next reload.",
    ),
    # -- sidebar: the snapshot, the user, the filters
    "sidebar.data_as_of": ("Données au {date}", "Gegevens op {date}", "Data as of {date}"),
    "sidebar.published": ("publiées le {moment}", "gepubliceerd op {moment}", "published {moment}"),
    "sidebar.cutoff": (
        "paiements acceptés jusqu'au {date}",
        "betalingen aanvaard tot {date}",
        "payments accepted up to {date}",
    ),
    "sidebar.next_refresh": (
        "prochaine mise à jour planifiée : {moment}",
        "volgende geplande vernieuwing: {moment}",
        "next scheduled refresh {moment}",
    ),
    "sidebar.refresh_id": ("mise à jour `{refresh_id}`", "vernieuwing `{refresh_id}`", "refresh `{refresh_id}`"),
    "sidebar.signed_in": (
        "Connecté en tant que **{username}**, {role}",
        "Aangemeld als **{username}**, {role}",
        "Signed in as **{username}**, {role}",
    ),
    "sidebar.role.analyst": ("analyste du SPP IS", "analist van de POD MI", "SPP IS analyst"),
    "sidebar.role.partner": (
        "analyste partenaire ({institution})",
        "partneranalist ({institution})",
        "partner analyst ({institution})",
    ),
    "sidebar.no_institution": ("aucune institution", "geen instelling", "no institution"),
    "sidebar.partner_note": (
        "Agrégats uniquement : les nombres de moins de 5 personnes, les montants et ratios qui en découlent, et "
        "les quelques cellules qu'un total affiché permettrait de retrouver, sont remplacés par < 5.",
        "Enkel aggregaten: aantallen van minder dan 5 personen, de bedragen en verhoudingen die ervan afgeleid "
        "zijn, en de enkele cellen die een getoond totaal zou prijsgeven, worden vervangen door < 5.",
        "Aggregates only: counts of fewer than 5 people, the amounts and ratios drawn from them, and the few cells "
        "that a shown total would give them back from, read < 5.",
    ),
    "sidebar.sign_out": ("Se déconnecter", "Afmelden", "Sign out"),
    "sidebar.filters": ("Filtres", "Filters", "Filters"),
    "sidebar.period": ("Période (mois de prestation)", "Periode (prestatiemaanden)", "Period (benefit months)"),
    "sidebar.only_month": (
        "Période : {month} (le seul mois publié)",
        "Periode: {month} (de enige gepubliceerde maand)",
        "Period: {month} (the only month published)",
    ),
    "sidebar.region": ("Région", "Gewest", "Region"),
    "sidebar.all_regions": ("Toutes les régions", "Alle gewesten", "All regions"),
    "sidebar.cpas": ("CPAS", "OCMW", "CPAS"),
    "sidebar.all_cpas": ("Tous les CPAS", "Alle OCMW's", "All CPAS"),
    "sidebar.allowance": ("Type d'aide", "Soort steun", "Allowance type"),
    "sidebar.all_allowances": ("Tous les types d'aide", "Alle soorten steun", "All allowance types"),
    "describe.all_regions": ("toutes les régions", "alle gewesten", "all regions"),
    "describe.one_cpas": ("1 CPAS", "1 OCMW", "1 CPAS"),
    "describe.n_cpas": ("{count} CPAS", "{count} OCMW's", "{count} CPAS"),
    "describe.all_cpas": ("tous les CPAS", "alle OCMW's", "all CPAS"),
    "describe.all_allowances": ("tous les types d'aide", "alle soorten steun", "all allowance types"),
    "describe.data_as_of": ("données au {date}", "gegevens op {date}", "data as of {date}"),
    # -- tables and tiles
    "table.download": ("Télécharger le CSV", "CSV downloaden", "Download CSV"),
    "table.yes": ("oui", "ja", "yes"),
    "table.no": ("non", "nee", "no"),
    "table.suppressed": ("masqué", "verborgen", "suppressed"),
    "table.footnote": (
        "< 5 : non montré aux analystes partenaires : un nombre de moins de 5 personnes, un chiffre qui en "
        "découle, ou un chiffre dont les totaux affichés à côté permettraient de retrouver un tel nombre.",
        "< 5: niet getoond aan partneranalisten: een aantal van minder dan 5 personen, een cijfer dat ervan "
        "afgeleid is, of een cijfer waaruit de getoonde totalen ernaast zo'n aantal zouden prijsgeven.",
        "< 5: not shown to partner analysts: a count of fewer than 5 people, a figure drawn from one, or a figure "
        "that the totals shown beside it would give such a count back from.",
    ),
    # -- codes
    "allowance.LIVING_WAGE": ("Revenu d'intégration (RIS)", "Leefloon", "Living wage (RIS)"),
    "allowance.EQUIVALENT_LIVING_WAGE": (
        "Équivalent du revenu d'intégration",
        "Equivalent leefloon",
        "Equivalent living wage",
    ),
    "allowance.FAMILY_ALLOWANCE_ADVANCE": (
        "Avance sur allocations familiales",
        "Voorschot op gezinsbijslag",
        "Family allowance advance",
    ),
    "region.FLANDERS": ("Région flamande", "Vlaams Gewest", "Flanders"),
    "region.WALLONIA": ("Région wallonne", "Waals Gewest", "Wallonia"),
    "region.BRUSSELS": ("Région de Bruxelles-Capitale", "Brussels Hoofdstedelijk Gewest", "Brussels"),
    "finality.PROVISIONAL": ("Provisoire", "Voorlopig", "Provisional"),
    "finality.CONSOLIDATING": ("En consolidation", "In consolidatie", "Consolidating"),
    "finality.FINAL": ("Définitif", "Definitief", "Final"),
    "category.1": ("cohabitant", "samenwonende", "cohabitant"),
    "category.2": ("isolé", "alleenstaande", "isolated"),
    "category.3": ("avec famille à charge", "met gezinslast", "with dependent family"),
    "rejection.R01": (
        "bénéficiaire sans droit ces jours-là",
        "begunstigde zonder recht op die dagen",
        "beneficiary not entitled on these days",
    ),
    "rejection.R02": (
        "montant supérieur au barème de la catégorie",
        "bedrag hoger dan het barema van de categorie",
        "amount above the scale of the category",
    ),
    "rejection.R03": (
        "chevauchement avec un autre CPAS",
        "overlapping met een ander OCMW",
        "overlap with another CPAS",
    ),
    "rejection.R04": ("enquête sociale manquante", "ontbrekend sociaal onderzoek", "missing social inquiry"),
    "rejection.R05": ("ressources non déduites", "bestaansmiddelen niet afgetrokken", "resources not deducted"),
    "rejection.R06": (
        "bénéficiaire inconnu au Registre national",
        "begunstigde onbekend in het Rijksregister",
        "beneficiary unknown in the national register",
    ),
    "rejection.R07": ("demande introduite en double", "dubbel ingediende aanvraag", "duplicate claim"),
    "rejection.R08": (
        "demande tardive (hors délai d'introduction)",
        "laattijdige aanvraag (buiten de indieningstermijn)",
        "late claim (outside the claim period)",
    ),
    # -- column titles (dashboards.lib.labels): "(EUR)" marks an amount in every language
    "col.month": ("Mois", "Maand", "Month"),
    "col.year": ("Année", "Jaar", "Year"),
    "col.reference_date": ("Date de référence", "Referentiedatum", "Reference date"),
    "col.pcsa_cbe_number": ("N° BCE du CPAS", "KBO-nr. van het OCMW", "CPAS CBE number"),
    "col.pcsa_name": ("CPAS", "OCMW", "CPAS"),
    "col.region": ("Région", "Gewest", "Region"),
    "col.allowance_type": ("Type d'aide", "Soort steun", "Allowance type"),
    "col.household_category": ("Catégorie de ménage", "Gezinscategorie", "Household category"),
    "col.finality_status": ("Finalité", "Finaliteit", "Finality"),
    "col.beneficiaries": ("Bénéficiaires", "Begunstigden", "Beneficiaries"),
    "col.beneficiary_months": ("Mois-bénéficiaires", "Begunstigdenmaanden", "Beneficiary-months"),
    "col.avg_beneficiaries": ("Bénéficiaires par mois", "Begunstigden per maand", "Beneficiaries per month"),
    "col.amount": ("Montant (EUR)", "Bedrag (EUR)", "Amount (EUR)"),
    "col.amount_year_before": (
        "Montant un an plus tôt (EUR)",
        "Bedrag een jaar eerder (EUR)",
        "Amount a year before (EUR)",
    ),
    "col.amount_change": ("Évolution du montant", "Wijziging van het bedrag", "Change in amount"),
    "col.beneficiaries_year_before": (
        "Bénéficiaires un an plus tôt",
        "Begunstigden een jaar eerder",
        "Beneficiaries a year before",
    ),
    "col.beneficiaries_change": (
        "Évolution des bénéficiaires",
        "Wijziging van de begunstigden",
        "Change in beneficiaries",
    ),
    "col.avg_amount": (
        "Moyenne par mois-bénéficiaire (EUR)",
        "Gemiddelde per begunstigdenmaand (EUR)",
        "Average per beneficiary-month (EUR)",
    ),
    "col.partial_share": ("Part de mois partiels", "Aandeel onvolledige maanden", "Share of partial months"),
    "col.rejection_rate": ("Taux de rejet", "Verwerpingsgraad", "Rejection rate"),
    "col.refusal_rate": ("Taux de refus", "Weigeringsgraad", "Refusal rate"),
    "col.rows": ("Lignes", "Rijen", "Rows"),
    "col.rank": ("Rang", "Rang", "Rank"),
    "col.share": ("Part du mois", "Aandeel van de maand", "Share of the month"),
    "col.refreshes": ("Mises à jour", "Vernieuwingen", "Refreshes"),
    "col.first_amount": ("Première publication (EUR)", "Eerste publicatie (EUR)", "First published (EUR)"),
    "col.latest_amount": ("Dernier (EUR)", "Laatste (EUR)", "Latest (EUR)"),
    "col.revision": ("Révision (EUR)", "Herziening (EUR)", "Revision (EUR)"),
    "col.revision_share": ("Part de la révision", "Aandeel van de herziening", "Revision share"),
    "col.lines": ("Lignes", "Lijnen", "Lines"),
    "col.max_months_late": ("Retard maximal (mois)", "Grootste vertraging (maanden)", "Most months late"),
    "col.rejection_code": ("Code de rejet", "Verwerpingscode", "Rejection code"),
    "col.rejection_reason": ("Motif", "Reden", "Reason"),
    "col.reason": ("Motif", "Reden", "Reason"),
    "col.age_months": ("Âge (mois)", "Ouderdom (maanden)", "Age (months)"),
    "col.is_abandoned": ("Abandonné", "Opgegeven", "Abandoned"),
    "col.events": ("Événements de droit", "Rechtgebeurtenissen", "Right events"),
    "col.late_decisions": ("Décisions tardives", "Laattijdige beslissingen", "Late decisions"),
    "col.late_registrations": ("Enregistrements tardifs", "Laattijdige registraties", "Late registrations"),
    "col.avg_decision_days": (
        "Jours moyens jusqu'à la décision",
        "Gemiddeld aantal dagen tot de beslissing",
        "Average days to decision",
    ),
    "col.avg_registration_days": (
        "Jours moyens jusqu'à l'enregistrement",
        "Gemiddeld aantal dagen tot de registratie",
        "Average days to registration",
    ),
    "col.days_outside": ("Jours hors droit", "Dagen buiten recht", "Days outside rights"),
    "col.requests": ("Demandes", "Aanvragen", "Requests"),
    "col.refusals": ("Refus", "Weigeringen", "Refusals"),
    "col.institution": ("Institution", "Instelling", "Institution"),
    "col.cbe_number": ("N° BCE", "KBO-nr.", "CBE number"),
    "col.operation": ("Opération", "Operatie", "Operation"),
    "col.status_value": ("Statut", "Status", "Status"),
    "col.status_code": ("Code de statut", "Statuscode", "Status code"),
    "col.http_status": ("Statut HTTP", "HTTP-status", "HTTP status"),
    "col.p50_ms": ("Médiane (ms)", "Mediaan (ms)", "Median (ms)"),
    "col.p95_ms": ("95e percentile (ms)", "95e percentiel (ms)", "95th percentile (ms)"),
    "col.max_ms": ("Plus lente (ms)", "Traagste (ms)", "Slowest (ms)"),
    "col.day": ("Jour", "Dag", "Day"),
    "col.series": ("Série", "Reeks", "Series"),
    "col.ssin": ("NISS", "INSZ", "SSIN"),
    "col.partner_ssin": ("NISS du partenaire", "INSZ van de partner", "Partner SSIN"),
    "col.beneficiary_ssin": ("NISS du bénéficiaire", "INSZ van de begunstigde", "Beneficiary SSIN"),
    "col.grant_periods": ("Périodes d'octroi", "Toekenningsperiodes", "Grant periods"),
    "col.covers_whole_period": ("Mois complet", "Volledige maand", "Whole month"),
    "col.is_last_indemnified_month": (
        "Dernier mois indemnisé",
        "Laatste vergoede maand",
        "Last indemnified month",
    ),
    "col.line_id": ("Ligne", "Lijn", "Line"),
    "col.quarantined_at": ("Mis en quarantaine le", "In quarantaine sinds", "Quarantined at"),
    "col.released_at": ("Libéré le", "Vrijgegeven op", "Released at"),
    "col.file_name": ("Fichier", "Bestand", "File"),
    "col.file": ("Fichier", "Bestand", "File"),
    "col.file_id": ("Id du fichier", "Bestands-id", "File id"),
    "col.line_no": ("N° de ligne", "Regelnr.", "Line no."),
    "col.kind": ("Type", "Soort", "Kind"),
    "col.field": ("Champ", "Veld", "Field"),
    "col.errors": ("Erreurs", "Fouten", "Errors"),
    "col.period": ("Période", "Periode", "Period"),
    "col.recipient": ("Destinataire", "Bestemmeling", "Recipient"),
    "col.recipient_cbe": ("N° BCE du destinataire", "KBO-nr. van de bestemmeling", "Recipient CBE number"),
    "col.provisional": ("Provisoire", "Voorlopig", "Provisional"),
    "col.snapshot_id": ("Instantané", "Momentopname", "Snapshot"),
    "col.records": ("Enregistrements", "Records", "Records"),
    "col.people": ("Personnes", "Personen", "People"),
    "col.total_living_wage": (
        "Total revenu d'intégration (EUR)",
        "Totaal leefloon (EUR)",
        "Total living wage (EUR)",
    ),
    "col.total_equivalent_living_wage": (
        "Total équivalent RI (EUR)",
        "Totaal equivalent leefloon (EUR)",
        "Total equivalent living wage (EUR)",
    ),
    "col.total_family_allowance_advance": (
        "Total avances allocations familiales (EUR)",
        "Totaal voorschotten gezinsbijslag (EUR)",
        "Total family allowance advance (EUR)",
    ),
    "col.new": ("Nouveaux", "Nieuw", "New"),
    "col.changed": ("Modifiés", "Gewijzigd", "Changed"),
    "col.ended": ("Terminés", "Beëindigd", "Ended"),
    "col.changes_against": ("Changements par rapport à", "Wijzigingen ten opzichte van", "Changes against"),
    "col.subscriber": ("Abonné", "Abonnee", "Subscriber"),
    "col.pending": ("En attente", "In behandeling", "Pending"),
    "col.late": ("En retard", "Te laat", "Late"),
    "col.retrying": ("En nouvel essai", "Opnieuw geprobeerd", "Retrying"),
    "col.parked": ("Mises de côté", "Geparkeerd", "Parked"),
    "col.delivered": ("Livrées", "Afgeleverd", "Delivered"),
    "col.last_delivered_at": ("Dernière livraison", "Laatste aflevering", "Last delivered at"),
    "col.next_attempt_at": ("Prochain essai", "Volgende poging", "Next attempt at"),
    "col.endpoint_url": ("Adresse de réception", "Ontvangstadres", "Endpoint URL"),
    "col.ticket": ("Ticket", "Ticket", "Ticket"),
    "col.right_id": ("Id du droit", "Recht-id", "Right id"),
    "col.sequence": ("Séquence", "Volgnummer", "Sequence"),
    "col.event_type": ("Type d'événement", "Soort gebeurtenis", "Event type"),
    "col.attempts": ("Essais", "Pogingen", "Attempts"),
    "col.last_outcome": ("Dernier résultat", "Laatste resultaat", "Last outcome"),
    "col.last_error": ("Dernière erreur", "Laatste fout", "Last error"),
    "col.attempted_at": ("Tentée le", "Geprobeerd op", "Attempted at"),
    "col.username": ("Nom d'utilisateur", "Gebruikersnaam", "Username"),
    "col.address": ("Adresse", "Adres", "Address"),
    "col.outcome": ("Résultat", "Resultaat", "Outcome"),
    # -- shared by the pages
    "page.no_amounts": (
        "Aucun montant pour cette sélection : élargissez la période ou retirez un filtre dans la barre latérale.",
        "Geen bedragen voor deze selectie: verruim de periode of verwijder een filter in de zijbalk.",
        "No amounts for this selection: widen the period or remove a filter in the sidebar.",
    ),
    "page.amount_per_month": ("Montant par mois", "Bedrag per maand", "Amount per month"),
    "page.beneficiaries_per_month": ("Bénéficiaires par mois", "Begunstigden per maand", "Beneficiaries per month"),
    "page.avg_per_beneficiary_month": (
        "Moyenne par mois-bénéficiaire",
        "Gemiddelde per begunstigdenmaand",
        "Average per beneficiary-month",
    ),
    "page.filters_do_not_apply": (
        "les filtres de la barre latérale ne s'appliquent pas ici",
        "de filters in de zijbalk gelden hier niet",
        "the sidebar's filters do not apply here",
    ),
    # -- Overview
    "overview.amount_paid": ("Montant payé", "Betaald bedrag", "Amount paid"),
    "overview.of_which_final": ("dont définitif", "waarvan definitief", "of which final"),
    "overview.final": ("définitif", "definitief", "final"),
    "overview.final_help": (
        "Montants des mois dont le statut de finalité est DÉFINITIF (voir la page Finalité pour le reste).",
        "Bedragen van de maanden met finaliteitsstatus DEFINITIEF (zie de pagina Finaliteit voor de rest).",
        "Amounts of months whose finality status is FINAL (see the Finality page for the rest).",
    ),
    "overview.beneficiary_months_help": (
        "Bénéficiaires comptés une fois par mois, CPAS, type d'aide et catégorie de ménage.",
        "Begunstigden eenmaal geteld per maand, OCMW, soort steun en gezinscategorie.",
        "Beneficiaries counted once per month, CPAS, allowance type and household category.",
    ),
    "overview.break_down_by": ("Ventiler par", "Opsplitsen volgens", "Break down by"),
    "overview.year_on_year": ("D'une année à l'autre", "Jaar op jaar", "Year on year"),
    "overview.year_on_year_caption": (
        "Chaque mois de la période à côté du même mois un an plus tôt, avec les mêmes filtres.",
        "Elke maand van de periode naast dezelfde maand een jaar eerder, met dezelfde filters.",
        "Each month of the period beside the same month a year before, with the same filters.",
    ),
    # -- CPAS explorer
    "explorer.comparison": (
        "Comparaison des CPAS sélectionnés",
        "Vergelijking van de geselecteerde OCMW's",
        "Comparison of the selected CPAS",
    ),
    "explorer.selected": ("CPAS sélectionné", "Geselecteerd OCMW", "Selected CPAS"),
    "explorer.choose": (
        "Choisissez un ou plusieurs CPAS dans la barre latérale pour les suivre ou les comparer mois par mois.",
        "Kies een of meer OCMW's in de zijbalk om ze maand per maand te volgen of te vergelijken.",
        "Choose one or more CPAS in the sidebar to follow or compare them month by month.",
    ),
    "explorer.ranking": ("Classement", "Rangschikking", "Ranking"),
    "explorer.ranking_caption": (
        "Tous les CPAS des régions et types d'aide sélectionnés sur la période, par montant payé. Mois partiels : "
        "lignes ne couvrant pas tout le mois. Taux de rejet : rejets ouverts parmi les lignes actuelles.",
        "Alle OCMW's van de geselecteerde gewesten en soorten steun over de periode, volgens betaald bedrag. "
        "Onvolledige maanden: lijnen die niet de hele maand dekken. Verwerpingsgraad: open verwerpingen onder de "
        "huidige lijnen.",
        "Every CPAS of the selected regions and allowance types over the period, by amount paid. Partial months: "
        "rows not covering the whole month. Rejection rate: open rejections among current lines.",
    ),
    # -- Finality
    "finality.explained": (
        "Un mois est **provisoire** pendant 3 mois, puis **en consolidation** tant qu'un rejet est ouvert, et "
        "**définitif** à partir de 6 mois (ou de 3 mois sans rejet ouvert).",
        "Een maand is **voorlopig** gedurende 3 maanden, daarna **in consolidatie** zolang er een verwerping "
        "openstaat, en **definitief** vanaf 6 maanden (of vanaf 3 maanden zonder open verwerping).",
        "A month is **provisional** for 3 months, then **consolidating** while a rejection is still open, and "
        "**final** from 6 months on (or from 3 months without open rejection).",
    ),
    "finality.of_the_period": ("de la période", "van de periode", "of the period"),
    "finality.by_month": (
        "Montant par mois selon la finalité",
        "Bedrag per maand volgens finaliteit",
        "Amount per month by finality",
    ),
    "finality.convergence": (
        "Convergence au fil des mises à jour",
        "Convergentie over de vernieuwingen",
        "Convergence over the refreshes",
    ),
    "finality.convergence_caption": (
        "Le total de chaque mois de prestation tel que publié par les mises à jour successives (les 12 derniers "
        "mois de la période).",
        "Het totaal van elke prestatiemaand zoals gepubliceerd door de opeenvolgende vernieuwingen (de laatste 12 "
        "maanden van de periode).",
        "Each benefit month's total as published by successive refreshes (the last 12 months of the period).",
    ),
    "finality.no_history": (
        "Pas encore d'historique : il s'étoffe à chaque mise à jour.",
        "Nog geen historiek: die groeit met elke vernieuwing.",
        "No history yet: it grows with each refresh.",
    ),
    "finality.late_revisions": ("Révisions tardives", "Laattijdige herzieningen", "Late revisions"),
    "finality.late_revisions_caption": (
        "Lignes du mois m acceptées à partir du premier jour de m+7 : le mois était déjà définitif par son âge.",
        "Lijnen voor maand m aanvaard vanaf de eerste dag van m+7: de maand was al definitief door haar ouderdom.",
        "Lines for month m accepted from the first day of m+7 on: the month was already final by age.",
    ),
    "finality.late_revision_lines": (
        "Lignes de révision tardive",
        "Lijnen van laattijdige herziening",
        "Late revision lines",
    ),
    "finality.late_revision_amount": (
        "Montant des révisions tardives",
        "Bedrag van de laattijdige herzieningen",
        "Amount of late revisions",
    ),
    # -- Data quality
    "quality.accepted_moves": (
        "Publié alors que des mois DÉFINITIFS ont bougé de plus de {threshold} % de leur total national : "
        "{moved}. Accepté par {by} le {decided_at} : {reason}",
        "Gepubliceerd hoewel DEFINITIEVE maanden meer dan {threshold} % van hun nationaal totaal verschoven: "
        "{moved}. Aanvaard door {by} op {decided_at}: {reason}",
        "Published although months that were FINAL moved beyond {threshold} % of their national total: {moved}. "
        "Accepted by {by} on {decided_at}: {reason}",
    ),
    "quality.tab.rejections": ("Rejets", "Verwerpingen", "Rejections"),
    "quality.tab.open": ("Rejets ouverts", "Open verwerpingen", "Open rejections"),
    "quality.tab.rights": ("Droits tardifs", "Laattijdige rechten", "Late rights"),
    "quality.tab.outside": ("Paiements hors droit", "Betalingen buiten recht", "Payments outside rights"),
    "quality.tab.quarantine": ("Fichiers en quarantaine", "Bestanden in quarantaine", "Quarantined files"),
    "quality.rejections_caption": (
        "Lignes rejetées par le SPP IS, selon le mois de la décision (quel que soit le mois de prestation).",
        "Lijnen die de POD MI verwierp, volgens de maand van de beslissing (ongeacht de prestatiemaand).",
        "Lines SPP IS rejected, by the month it decided (whatever benefit month they concern).",
    ),
    "quality.by_cpas": ("Par CPAS", "Per OCMW", "By CPAS"),
    "quality.open_caption": (
        "Lignes rejetées actuelles pas encore réintroduites, selon l'âge de leur mois de prestation. À partir de 6 "
        "mois, elles sont abandonnées et le mois est définitif de toute façon.",
        "Huidige verworpen lijnen die nog niet opnieuw ingediend zijn, volgens de ouderdom van hun "
        "prestatiemaand. Vanaf 6 maanden zijn ze opgegeven en is de maand hoe dan ook definitief.",
        "Current rejected lines not yet re-introduced, by the age of their benefit month. From 6 months on they "
        "are abandoned and the month is final anyway.",
    ),
    "quality.open_lines": (
        "Rejets ouverts, ligne par ligne (données personnelles)",
        "Open verwerpingen, lijn per lijn (persoonsgegevens)",
        "Open rejections, line by line (personal data)",
    ),
    "quality.rights_caption": (
        "Événements de droit selon le mois d'enregistrement : décisions plus de 30 jours après la demande, "
        "enregistrements plus de 7 jours après la décision.",
        "Rechtgebeurtenissen volgens de maand van registratie: beslissingen meer dan 30 dagen na de aanvraag, "
        "registraties meer dan 7 dagen na de beslissing.",
        "Right events by month of registration: decisions more than 30 days after the application, registrations "
        "more than 7 days after the decision.",
    ),
    "quality.late_decisions": (
        "Décisions tardives (> 30 jours)",
        "Laattijdige beslissingen (> 30 dagen)",
        "Late decisions (> 30 days)",
    ),
    "quality.late_registrations": (
        "Enregistrements tardifs (> 7 jours)",
        "Laattijdige registraties (> 7 dagen)",
        "Late registrations (> 7 days)",
    ),
    "quality.late_by_cpas": (
        "CPAS avec des décisions ou enregistrements tardifs",
        "OCMW's met laattijdige beslissingen of registraties",
        "CPAS with late decisions or registrations",
    ),
    "quality.outside_caption": (
        "Lignes acceptées actuelles de revenu d'intégration ou de son équivalent dont les jours tombent hors de "
        "tout droit actif de la même personne, du même CPAS et de la même aide : un signal à vérifier, jamais un "
        "filtre (les deux sources sont distinctes).",
        "Huidige aanvaarde lijnen van leefloon of het equivalent ervan waarvan de dagen buiten elk actief recht "
        "van dezelfde persoon, hetzelfde OCMW en dezelfde steun vallen: een signaal om na te gaan, nooit een "
        "filter (de twee bronnen zijn gescheiden).",
        "Current accepted lines of living wage or its equivalent whose days fall outside every active right of "
        "the same person, CPAS and aid: a signal to check, never a filter (the two sources are separate).",
    ),
    "quality.quarantine_caption": (
        "Fichiers amont refusés en entier, avec le motif ; un fichier libéré a été chargé après correction.",
        "Volledig geweigerde aangeleverde bestanden, met de reden; een vrijgegeven bestand werd na een correctie "
        "geladen.",
        "Upstream files refused whole, with the reason; a released file was loaded after a fix.",
    ),
    "quality.quarantined_files": ("Fichiers en quarantaine", "Bestanden in quarantaine", "Quarantined files"),
    # -- Consultations
    "consultations.days": (
        "Consultations faites du … au … (UTC)",
        "Raadplegingen gedaan van … tot … (UTC)",
        "Consultations made from … to … (UTC)",
    ),
    "consultations.days_help": (
        "Les {days} derniers jours jusqu'à aujourd'hui, sauf si vous choisissez d'autres jours.",
        "De laatste {days} dagen tot vandaag, tenzij u andere dagen kiest.",
        "The last {days} days up to today unless you choose other days.",
    ),
    "consultations.caption": (
        "{first} – {last} · consultations jusqu'à la mise à jour `{refresh_id}` · {note}",
        "{first} – {last} · raadplegingen tot de vernieuwing `{refresh_id}` · {note}",
        "{first} – {last} · consultations up to the refresh `{refresh_id}` · {note}",
    ),
    "consultations.own_only": (
        "Uniquement les consultations faites par votre institution ({institution}).",
        "Enkel de raadplegingen door uw instelling ({institution}).",
        "Consultations made by your institution ({institution}) only.",
    ),
    "consultations.none": (
        "Aucune consultation du {first} au {last} dans cet instantané. Les consultations faites depuis sa mise à "
        "jour apparaîtront après la prochaine ; choisissez des jours antérieurs ci-dessus pour voir les plus "
        "anciennes.",
        "Geen raadplegingen van {first} tot {last} in deze momentopname. Raadplegingen sinds de vernieuwing "
        "verschijnen na de volgende; kies hierboven vroegere dagen om oudere te zien.",
        "No consultation from {first} to {last} in this snapshot. Consultations made since its refresh show after "
        "the next one; choose earlier days above to see older ones.",
    ),
    "consultations.requests": ("Demandes", "Aanvragen", "Requests"),
    "consultations.refused": ("Refusées", "Geweigerd", "Refused"),
    "consultations.refusal_rate": ("Taux de refus", "Weigeringsgraad", "Refusal rate"),
    "consultations.slowest_p95": ("p95 le plus lent (ms)", "Traagste p95 (ms)", "Slowest p95 (ms)"),
    "consultations.slowest_p95_help": (
        "Le 95e percentile du temps de réponse de l'opération la plus lente.",
        "Het 95e percentiel van de antwoordtijd van de traagste operatie.",
        "The 95th percentile response time of the slowest operation.",
    ),
    "consultations.per_day": ("Demandes par jour", "Aanvragen per dag", "Requests per day"),
    "consultations.per_institution": (
        "Par institution et opération",
        "Per instelling en operatie",
        "Per institution and operation",
    ),
    "consultations.refusals": ("Refus par code de statut", "Weigeringen per statuscode", "Refusals by status code"),
    "consultations.latency": (
        "Temps de réponse par opération",
        "Antwoordtijd per operatie",
        "Response time per operation",
    ),
    "consultations.sign_ins": (
        "Connexions à ces tableaux de bord (données personnelles)",
        "Aanmeldingen op deze dashboards (persoonsgegevens)",
        "Sign-ins to these dashboards (personal data)",
    ),
    "consultations.sign_ins_caption": (
        "Chaque tentative, la plus récente d'abord : qui, quand (UTC), depuis quelle adresse (aucune : la machine "
        "locale), et le résultat. Les tentatives freinées ou bloquées ont été refusées avant la vérification du "
        "mot de passe.",
        "Elke poging, de recentste eerst: wie, wanneer (UTC), vanaf welk adres (geen: de lokale machine), en het "
        "resultaat. Afgeremde en geblokkeerde pogingen werden geweigerd voor hun wachtwoord gecontroleerd werd.",
        "Every attempt, newest first: who, when (UTC), from which address (none: the local host), and the "
        "outcome. Throttled and locked attempts were refused before their password was checked.",
    ),
    # -- Notifications
    "notifications.caption": (
        "Livraison des notifications de droits créés, modifiés ou annulés (LivingWagesNotifications).",
        "Aflevering van de notificaties van gecreëerde, gewijzigde of geannuleerde rechten (LivingWagesNotifications).",
        "Delivery of the notifications of rights created, modified or cancelled (LivingWagesNotifications).",
    ),
    "notifications.none": (
        "Aucun notificateur n'a encore tourné : `lww notify` livre ce que la dernière mise à jour a rendu dû.",
        "Er heeft nog geen notifier gedraaid: `lww notify` levert af wat de laatste vernieuwing verschuldigd maakte.",
        "No notifier has run yet: `lww notify` delivers what the last refresh made due.",
    ),
    "notifications.pending": ("En attente", "In behandeling", "Pending"),
    "notifications.late": ("En retard", "Te laat", "Late"),
    "notifications.late_help": (
        "En attente depuis plus de LWW_NOTIFY_LATE_MINUTES.",
        "Langer in behandeling dan LWW_NOTIFY_LATE_MINUTES.",
        "Pending for longer than LWW_NOTIFY_LATE_MINUTES.",
    ),
    "notifications.parked": ("Mises de côté", "Geparkeerd", "Parked"),
    "notifications.parked_help": (
        "`lww notify --retry-parked` les renvoie.",
        "`lww notify --retry-parked` verstuurt ze opnieuw.",
        "`lww notify --retry-parked` sends them again.",
    ),
    "notifications.delivered": ("Livrées", "Afgeleverd", "Delivered"),
    "notifications.per_subscriber": ("Par abonné", "Per abonnee", "Per subscriber"),
    "notifications.parked_caption": (
        "Chaque essai a échoué ; après avoir corrigé la cause avec l'abonné : `lww notify --retry-parked`.",
        "Elke poging mislukte; na het verhelpen van de oorzaak met de abonnee: `lww notify --retry-parked`.",
        "Every attempt failed; after fixing the cause with the subscriber: `lww notify --retry-parked`.",
    ),
    # -- Extracts
    "extracts.caption": (
        "Fichiers libérés sous $LWW_HOME/extracts/out/<destinataire>/ (nom FO., puis son fichier GO). Le bloc de "
        "contrôle de chaque fichier (enregistrements, personnes, total par type d'aide) a été vérifié par rapport "
        "aux marts avant sa libération.",
        "Bestanden vrijgegeven onder $LWW_HOME/extracts/out/<bestemmeling>/ (FO.-naam, dan het GO-bestand). Het "
        "controleblok van elk bestand (records, personen, totaal per soort steun) werd voor de vrijgave "
        "gecontroleerd tegen de marts.",
        "Files released under $LWW_HOME/extracts/out/<recipient>/ (FO. name, then its GO file). Each file's "
        "control block (records, people, total per allowance type) was checked against the marts before its "
        "release.",
    ),
    "extracts.none": (
        "Aucun extrait n'a encore été libéré : `lww extract finances --year YYYY` ou `lww extract ssh --month "
        "YYYY-MM` (ou les jobs finances_extract / ssh_extract dans l'interface Dagster).",
        "Er werd nog geen extract vrijgegeven: `lww extract finances --year YYYY` of `lww extract ssh --month "
        "YYYY-MM` (of de jobs finances_extract / ssh_extract in de Dagster-interface).",
        "No extract has been released yet: `lww extract finances --year YYYY` or `lww extract ssh --month "
        "YYYY-MM` (or the finances_extract / ssh_extract jobs in the Dagster UI).",
    ),
    "extracts.kind.finances": ("SPF Finances (annuel)", "FOD Financiën (jaarlijks)", "SPF Finances (yearly)"),
    "extracts.kind.ssh": (
        "Statuts sociaux harmonisés (mensuel)",
        "Geharmoniseerde sociale statuten (maandelijks)",
        "Harmonised social statuses (monthly)",
    ),
    "extracts.none_of_kind": ("Aucun libéré pour l'instant.", "Nog geen vrijgegeven.", "None released yet."),
    "extracts.files": ("Fichiers libérés", "Vrijgegeven bestanden", "Files released"),
    "extracts.latest_period": ("Dernière période", "Laatste periode", "Latest period"),
    "extracts.its_people": ("Personnes concernées", "Betrokken personen", "Its people"),
    "extracts.this_snapshot": ("cet instantané", "deze momentopname", "this snapshot"),
    # -- Person lookup
    "lookup.partners_refused": (
        "La recherche de personne est réservée aux analystes du SPP IS.",
        "Persoon opzoeken is voorbehouden aan de analisten van de POD MI.",
        "The person lookup is for SPP IS analysts only.",
    ),
    "lookup.caption": (
        "Montants mensuels d'une personne dans l'instantané du {date} : tout l'historique, chaque mois, CPAS et "
        "type d'aide ; les filtres de la barre latérale ne s'appliquent pas ici. Chaque recherche est consignée "
        "avec votre nom.",
        "Maandbedragen van één persoon in de momentopname van {date}: de hele historiek, elke maand, elk OCMW en "
        "elke soort steun; de filters in de zijbalk gelden hier niet. Elke opzoeking wordt met uw naam gelogd.",
        "Monthly amounts of one person in the snapshot of {date}: the whole history, every month, CPAS and "
        "allowance type; the sidebar's filters do not apply here. Each lookup is logged with your name.",
    ),
    "lookup.ssin": ("NISS (numéro national)", "INSZ (rijksregisternummer)", "SSIN (national number)"),
    "lookup.ssin_placeholder": (
        "11 chiffres, p. ex. 85073003328",
        "11 cijfers, bv. 85073003328",
        "11 digits, e.g. 85073003328",
    ),
    "lookup.submit": ("Rechercher", "Opzoeken", "Look up"),
    "lookup.invalid": (
        "NISS {typed} : {problem}. Introduisez les 11 chiffres (points et tirets sont ignorés).",
        "INSZ {typed}: {problem}. Geef de 11 cijfers in (punten en streepjes worden genegeerd).",
        "SSIN {typed}: {problem}. Type the 11 digits (dots and dashes are ignored).",
    ),
    "lookup.problem.length": (
        "un NISS compte exactement 11 chiffres",
        "een INSZ telt precies 11 cijfers",
        "an SSIN is exactly 11 digits",
    ),
    "lookup.problem.serial": (
        "le numéro de série (chiffres 7 à 9) d'un NISS n'est jamais 000",
        "het volgnummer (cijfers 7 tot 9) van een INSZ is nooit 000",
        "the serial (digits 7-9) of an SSIN is never 000",
    ),
    "lookup.problem.check": (
        "les chiffres de contrôle ne correspondent pas (ni avant 2000, ni à partir de 2000)",
        "de controlecijfers kloppen niet (noch voor 2000, noch vanaf 2000)",
        "SSIN check digits do not match (neither the before-2000 nor the from-2000 variant)",
    ),
    "lookup.heading": ("NISS {ssin}", "INSZ {ssin}", "SSIN {ssin}"),
    "lookup.whole_history": (
        "Tout l'historique : {first} – {last}, quelle que soit la période choisie dans la barre latérale.",
        "De hele historiek: {first} – {last}, ongeacht de periode die in de zijbalk gekozen is.",
        "Whole history: {first} – {last}, whatever the period chosen in the sidebar.",
    ),
    "lookup.nothing": (
        "Aucun montant pour cette personne dans cet instantané (comme bénéficiaire ou comme partenaire).",
        "Geen bedragen voor deze persoon in deze momentopname (als begunstigde of als partner).",
        "No amounts for this person in this snapshot (as beneficiary or as partner).",
    ),
    "lookup.months": ("Mois comme bénéficiaire", "Maanden als begunstigde", "Months as beneficiary"),
    "lookup.total": ("Total payé comme bénéficiaire", "Totaal betaald als begunstigde", "Total paid as beneficiary"),
    "lookup.last_month": ("Dernier mois indemnisé", "Laatste vergoede maand", "Last indemnified month"),
    "lookup.as_beneficiary": ("Comme bénéficiaire", "Als begunstigde", "As beneficiary"),
    "lookup.as_partner": (
        "Comme partenaire d'un bénéficiaire",
        "Als partner van een begunstigde",
        "As partner of a beneficiary",
    ),
    "lookup.type_one": (
        "Introduisez un NISS et cliquez sur Rechercher.",
        "Geef een INSZ in en klik op Opzoeken.",
        "Type an SSIN and press Look up.",
    ),
    # -- tables and charts: empty states, columns left out, chart series (dashboards.lib.tables, .charts)
    "tables.empty": (
        "Rien à afficher pour cette sélection : élargissez la période ou retirez un filtre dans la barre latérale.",
        "Niets te tonen voor deze selectie: verruim de periode of verwijder een filter in de zijbalk.",
        "Nothing to show for this selection: widen the period or remove a filter in the sidebar.",
    ),
    "tables.all_columns": (
        "Toutes les colonnes (avec {columns})",
        "Alle kolommen (met {columns})",
        "All columns (with {columns})",
    ),
    "chart.selected_period": ("Période choisie", "Gekozen periode", "Selected period"),
    "chart.year_before": ("Un an plus tôt", "Een jaar eerder", "A year before"),
    "chart.benefit_month": ("Mois de prestation", "Prestatiemaand", "Benefit month"),
    "chart.refresh": (
        "Mise à jour (date de référence)",
        "Vernieuwing (referentiedatum)",
        "Refresh (reference date)",
    ),
    "chart.series": ("Série", "Reeks", "Series"),
    "chart.count": ("Nombre", "Aantal", "Count"),
    "explorer.pick_hint": (
        "Cliquez sur la barre d'un CPAS pour le suivre mois par mois en haut de la page.",
        "Klik op de balk van een OCMW om het bovenaan de pagina maand per maand te volgen.",
        "Click a CPAS's bar to follow it month by month at the top of the page.",
    ),
    "explorer.no_ranking": (
        "Aucun CPAS n'a de montant pour cette sélection : élargissez la période ou choisissez d'autres régions ou "
        "types d'aide dans la barre latérale.",
        "Geen enkel OCMW heeft een bedrag voor deze selectie: verruim de periode of kies andere gewesten of "
        "soorten steun in de zijbalk.",
        "No CPAS has an amount for this selection: widen the period or choose other regions or allowance types "
        "in the sidebar.",
    ),
    "explorer.no_chosen": (
        "Les CPAS choisis n'ont aucun montant sur cette période pour ces types d'aide : élargissez la période ou "
        "choisissez d'autres types d'aide dans la barre latérale.",
        "De gekozen OCMW's hebben geen bedrag in deze periode voor deze soorten steun: verruim de periode of kies "
        "andere soorten steun in de zijbalk.",
        "The CPAS chosen have no amount over this period for these allowance types: widen the period or choose "
        "other allowance types in the sidebar.",
    ),
    "dq.heatmap": ("Rejets par CPAS et motif", "Verwerpingen per OCMW en reden", "Rejections by CPAS and reason"),
    "dq.heatmap_caption": (
        "Lignes rejetées des {rows} CPAS qui en ont le plus (sur {total} CPAS) ; une case grise : moins de 5, non "
        "montré aux analystes partenaires.",
        "Verworpen lijnen van de {rows} OCMW's met de meeste (van {total} OCMW's); een grijs vak: minder dan 5, niet "
        "getoond aan partneranalisten.",
        "Rejected lines of the {rows} CPAS with most of them (of {total} CPAS); a grey cell: fewer than 5, not shown "
        "to partner analysts.",
    ),
    "dq.heatmap_table": (
        "Le tableau : lignes rejetées par CPAS et motif",
        "De tabel: verworpen lijnen per OCMW en reden",
        "The table: rejected lines by CPAS and reason",
    ),
    "dq.no_rejections": (
        "Aucune ligne rejetée pour cette sélection : élargissez la période ou retirez un filtre dans la barre "
        "latérale.",
        "Geen verworpen lijnen voor deze selectie: verruim de periode of verwijder een filter in de zijbalk.",
        "No rejected line for this selection: widen the period or remove a filter in the sidebar.",
    ),
    "dq.no_open_rejections": (
        "Aucun rejet ouvert pour cette sélection : toutes les lignes rejetées de ces mois ont été réintroduites. "
        "Élargissez la période ou retirez un filtre pour en voir d'autres.",
        "Geen openstaande verwerpingen voor deze selectie: alle verworpen lijnen van deze maanden zijn opnieuw "
        "ingediend. Verruim de periode of verwijder een filter om andere te zien.",
        "No open rejection for this selection: every rejected line of these months was re-introduced. Widen the "
        "period or remove a filter to see others.",
    ),
    "dq.no_late_rights": (
        "Aucun événement de droit enregistré sur cette période avec ces filtres : élargissez la période ou "
        "retirez un filtre dans la barre latérale.",
        "Geen rechtgebeurtenissen geregistreerd in deze periode met deze filters: verruim de periode of "
        "verwijder een filter in de zijbalk.",
        "No right event registered over this period with these filters: widen the period or remove a filter in "
        "the sidebar.",
    ),
    "dq.no_late_pcsa": (
        "Aucun CPAS n'a de décision ou d'enregistrement tardif pour cette sélection.",
        "Geen enkel OCMW heeft een laattijdige beslissing of registratie voor deze selectie.",
        "No CPAS has a late decision or registration for this selection.",
    ),
    "dq.no_outside": (
        "Aucun paiement hors des droits pour cette sélection : les jours de chaque ligne tombent dans un droit. "
        "Élargissez la période ou retirez un filtre pour en vérifier d'autres.",
        "Geen betalingen buiten de rechten voor deze selectie: de dagen van elke lijn vallen binnen een recht. "
        "Verruim de periode of verwijder een filter om andere na te gaan.",
        "No payment outside the rights for this selection: every line's days fall within a right. Widen the "
        "period or remove a filter to check others.",
    ),
    "dq.no_quarantine": (
        "Aucun fichier en quarantaine : chaque fichier reçu a été chargé (les filtres de la barre latérale ne "
        "s'appliquent pas aux fichiers).",
        "Geen bestanden in quarantaine: elk ontvangen bestand werd geladen (de filters in de zijbalk gelden niet "
        "voor bestanden).",
        "No upstream file is in quarantine: every file received was loaded (the sidebar's filters do not apply "
        "to files).",
    ),
    "consultations.no_refusals": (
        "Aucun refus ces jours-là : choisissez d'autres jours au-dessus pour en voir.",
        "Geen weigeringen op die dagen: kies hierboven andere dagen om er te zien.",
        "No refusal on these days: choose other days above to see some.",
    ),
    "consultations.no_sign_ins": (
        "Aucune connexion enregistrée pour l'instant.",
        "Nog geen aanmeldingen geregistreerd.",
        "No sign-in recorded yet.",
    ),
    "finality.no_revisions": (
        "Aucun mois de cette sélection n'a encore été publié par plus d'une mise à jour : l'historique "
        "grandit à chaque mise à jour.",
        "Geen enkele maand van deze selectie werd al door meer dan één vernieuwing gepubliceerd: de historiek "
        "groeit met elke vernieuwing.",
        "No month of this selection was published by more than one refresh yet: the history grows with each refresh.",
    ),
    "finality.no_late": (
        "Aucune révision tardive pour cette sélection : aucune ligne n'est arrivée après que son mois était final.",
        "Geen laattijdige herzieningen voor deze selectie: geen enkele lijn kwam nadat haar maand definitief was.",
        "No late revision for this selection: no line came after its month was final.",
    ),
    "notifications.no_subscriber": (
        "Aucune notification n'a encore été à livrer : aucun abonné n'en a reçu ni n'en attend.",
        "Er moest nog geen enkele notificatie worden afgeleverd: geen enkele abonnee heeft er een ontvangen of "
        "wacht erop.",
        "No notification has been due yet: no subscriber has received or awaits one.",
    ),
}


CATALOGUE: dict[str, dict[str, str]] = {key: dict(zip(LANGUAGES, texts, strict=True)) for key, texts in _TEXTS.items()}


def _valid(value: object) -> str | None:
    return value if isinstance(value, str) and value in LANGUAGES else None


def current_language() -> str:
    """The language of this run: the one chosen in the session, else the URL's ``?lang=``, else French."""
    forced = _forced.get()
    if forced is not None:
        return forced
    if get_script_run_ctx(suppress_warning=True) is None:  # outside a Streamlit run: no session, no URL
        return DEFAULT
    with contextlib.suppress(Exception):
        chosen = _valid(st.session_state.get(LANG_KEY))
        if chosen is not None:
            return chosen
        asked = _valid(st.query_params.get(QUERY_KEY))
        if asked is not None:
            return asked
    return DEFAULT


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Use ``lang`` in this block whatever the session says (for code run outside the dashboards, and tests)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    token = _forced.set(lang)
    try:
        yield
    finally:
        _forced.reset(token)


def t(key: str, **values: object) -> str:
    """The text of ``key`` in the current language, with ``values`` put in its placeholders."""
    try:
        text = CATALOGUE[key][current_language()]
    except KeyError:
        raise KeyError(f"no text {key!r} in dashboards/lib/i18n.py CATALOGUE") from None
    return text.format(**values) if values else text


def picker() -> str:
    """The language choice in the sidebar (labelled in the three languages); the choice stays in the session and
    goes into the URL. Returns the language chosen."""
    state = st.session_state
    if _valid(state.get(LANG_KEY)) is None:
        state[LANG_KEY] = current_language()  # the URL's, or the default
    chosen = st.sidebar.selectbox(PICKER_LABEL, options=LANGUAGES, key=LANG_KEY, format_func=NAMES.get)
    if st.query_params.get(QUERY_KEY) != chosen:
        st.query_params[QUERY_KEY] = chosen
    return chosen


# -- dates, in the words of the language (never the machine's locale)


def month_label(month: dt.date) -> str:
    """``janv. 2026`` / ``jan. 2026`` / ``Jan 2026``."""
    return f"{MONTHS_SHORT[current_language()][month.month - 1]} {month.year}"


def month_long(month: dt.date) -> str:
    """``janvier 2026`` / ``januari 2026`` / ``January 2026``."""
    return f"{MONTHS[current_language()][month.month - 1]} {month.year}"


def date_long(day: dt.date) -> str:
    """``7 janvier 2026`` / ``7 januari 2026`` / ``7 January 2026``."""
    return f"{day.day} {MONTHS[current_language()][day.month - 1]} {day.year}"


def date_short(day: dt.date) -> str:
    """``7 janv. 2026`` / ``7 jan. 2026`` / ``7 Jan 2026``."""
    return f"{day.day} {MONTHS_SHORT[current_language()][day.month - 1]} {day.year}"


def datetime_long(moment: dt.datetime) -> str:
    """``7 janvier 2026, 06:00``."""
    return f"{date_long(moment.date())}, {moment:%H:%M}"


def weekday_datetime(moment: dt.datetime) -> str:
    """``samedi 2 janvier 2027, 06:00`` / ``zaterdag 2 januari 2027, 06:00`` / ``Saturday 2 January 2027, 06:00``."""
    return f"{WEEKDAYS[current_language()][moment.weekday()]} {datetime_long(moment)}"
