"""The JSON mirror of the SOAP operations (CONTRACT section 4.4): the same request and answer shapes, as JSON.

Requests are validated with these pydantic models *after* authentication (the channel parses the raw body when
the pipeline asks, so the order of checks is the SOAP one); the models also describe the API in the OpenAPI
document. Amounts are strings
with two decimals (never JSON floats), months ``YYYY-MM``, dates ISO. LivingWages V3 is mirrored under
``/api/v1/LivingWagesV3/`` (a service's routes are named by its ``ServiceSpec.key``), with V3's rows and
``dataFilters``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from service import pipeline
from service.channels.soap import timestamp
from service.consult import Answer, Consultation, RightRow
from service.pipeline import Incoming, Invalid, Reply
from service.schemas import SERVICES

Ssin = Annotated[str, StringConstraints(pattern=r"^[0-9]{11}$")]
Cbe = Annotated[str, StringConstraints(pattern=r"^[0-1][0-9]{9}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerIdentification(_Strict):
    cbeNumber: Cbe | None = None
    sector: int | None = Field(default=None, ge=0, le=999)
    institution: int | None = Field(default=None, ge=0, le=999)


class InformationCustomer(_Strict):
    ticket: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None
    timestampSent: dt.datetime | None = None
    customerIdentification: CustomerIdentification


class OpenPeriod(_Strict):
    beginDate: dt.date
    endDate: dt.date | None = None


class LivingWagesCriteria(_Strict):
    ssin: Ssin
    period: OpenPeriod


class AmountCriteria(_Strict):
    ssin: Ssin
    personRole: Literal["BENEFICIARY", "PARTNER"] = "BENEFICIARY"
    period: OpenPeriod
    grouping: Literal["MONTH", "YEAR"]


class LivingWagesRequest(_Strict):
    informationCustomer: InformationCustomer
    legalContext: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    criteria: LivingWagesCriteria


class LivingWagesWithAmountRequest(_Strict):
    informationCustomer: InformationCustomer
    legalContext: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    criteria: AmountCriteria


class Information(BaseModel):
    fieldName: str
    fieldValue: str | None = None


class StatusOut(BaseModel):
    value: str
    code: str
    description: str | None = None
    information: list[Information] = []


class InformationCBSS(BaseModel):
    ticketCBSS: str
    timestampReceive: dt.datetime
    timestampReply: dt.datetime


class Period(BaseModel):
    beginDate: dt.date
    endDate: dt.date


class PeriodsPerPCSA(BaseModel):
    pcsaCbeNumber: str
    livingWagePeriod: list[Period]


class LivingWagesOut(BaseModel):
    pcsaCbeNumber: str
    category: Literal["LIVING_WAGE", "EQUIVALENT_LIVING_WAGE"]
    livingWagePeriod: list[Period]


class LastEvent(BaseModel):
    type: Literal["CREATE", "MODIFY", "CANCEL"]
    registrationDate: dt.date


class PeriodV3(BaseModel):
    """A LivingWages V3 period row; an element the caller's authorisation withholds is absent."""

    beginDate: dt.date
    endDate: dt.date | None = None
    householdCategory: int | None = Field(default=None, ge=1, le=3)
    decisionDate: dt.date | None = None
    lastEvent: LastEvent | None = None


class PeriodsPerPCSAV3(BaseModel):
    pcsaCbeNumber: str | None = None
    livingWagePeriod: list[PeriodV3]


class LivingWagesV3Out(BaseModel):
    pcsaCbeNumber: str | None = None
    category: Literal["LIVING_WAGE", "EQUIVALENT_LIVING_WAGE"] | None = None
    livingWagePeriod: list[PeriodV3]


class DataFilters(BaseModel):
    filteredElement: list[Literal["pcsaCbeNumber", "category", "householdCategory", "decisionDate", "lastEvent"]]


class AmountOut(BaseModel):
    month: str | None = Field(default=None, description="YYYY-MM (grouping MONTH)")
    year: int | None = Field(default=None, description="grouping YEAR")
    pcsaCbeNumber: str
    allowanceType: str
    householdCategory: int
    beneficiarySsin: str | None = None
    partnerSsin: str | None = None
    grantPeriod: list[Period]
    amount: str = Field(description="EUR, two decimals, as a string (never a float)")
    coversWholePeriod: bool
    finalityStatus: Literal["PROVISIONAL", "CONSOLIDATING", "FINAL"]


class _ResponseBase(BaseModel):
    informationCustomer: InformationCustomer
    informationCBSS: InformationCBSS
    legalContext: str
    status: StatusOut


class LivingWagePeriodsResponse(_ResponseBase):
    criteria: LivingWagesCriteria
    livingWagePeriod: list[Period] = []


class LivingWagePeriodsPerPCSAResponse(_ResponseBase):
    criteria: LivingWagesCriteria
    livingWagePeriodsPerPCSA: list[PeriodsPerPCSA] = []


class LivingWagesResponse(_ResponseBase):
    criteria: LivingWagesCriteria
    livingWages: list[LivingWagesOut] = []


class LivingWagePeriodsV3Response(_ResponseBase):
    criteria: LivingWagesCriteria
    dataFilters: DataFilters | None = None
    livingWagePeriod: list[PeriodV3] = []


class LivingWagePeriodsPerPCSAV3Response(_ResponseBase):
    criteria: LivingWagesCriteria
    dataFilters: DataFilters | None = None
    livingWagePeriodsPerPCSA: list[PeriodsPerPCSAV3] = []


class LivingWagesV3Response(_ResponseBase):
    criteria: LivingWagesCriteria
    dataFilters: DataFilters | None = None
    livingWages: list[LivingWagesV3Out] = []


class LivingWagesWithAmountResponse(_ResponseBase):
    criteria: AmountCriteria
    referenceDate: dt.date | None = None
    lastMonthIsLastIndemnified: bool | None = None
    amount: list[AmountOut] = []


class Fault(BaseModel):
    faultcode: Literal["Client", "Server"]
    reasonCode: str
    diagnostic: str
    informationCBSS: InformationCBSS


class FaultResponse(BaseModel):
    fault: Fault


REQUEST_MODELS: dict[str, type[BaseModel]] = {  # by ServiceSpec.key
    "LivingWages": LivingWagesRequest,
    "LivingWagesV3": LivingWagesRequest,
    "LivingWagesWithAmount": LivingWagesWithAmountRequest,
}
RESPONSE_MODELS: dict[str, type[BaseModel]] = {
    "getLivingWagePeriods": LivingWagePeriodsResponse,
    "getLivingWagePeriodsFlanders": LivingWagePeriodsResponse,
    "getLivingWagePeriodsPerPCSA": LivingWagePeriodsPerPCSAResponse,
    "getLivingWagePeriodsPerPCSAFlanders": LivingWagePeriodsPerPCSAResponse,
    "getLivingWages": LivingWagesResponse,
    "getLivingWagesWithAmount": LivingWagesWithAmountResponse,
}
V3_RESPONSE_MODELS: dict[str, type[BaseModel]] = {
    "getLivingWagePeriods": LivingWagePeriodsV3Response,
    "getLivingWagePeriodsFlanders": LivingWagePeriodsV3Response,
    "getLivingWagePeriodsPerPCSA": LivingWagePeriodsPerPCSAV3Response,
    "getLivingWagePeriodsPerPCSAFlanders": LivingWagePeriodsPerPCSAV3Response,
    "getLivingWages": LivingWagesV3Response,
}


def response_model(service: str, operation: str) -> type[BaseModel]:
    """The response model of ``operation`` of the service whose ``ServiceSpec.key`` is ``service``."""
    return (V3_RESPONSE_MODELS if service == "LivingWagesV3" else RESPONSE_MODELS)[operation]


def consultation(service: str, operation: str, request: BaseModel, version: str = "") -> Consultation:
    criteria = request.criteria
    return Consultation(
        service=service,
        version=version,
        operation=operation,
        cbe_number=request.informationCustomer.customerIdentification.cbeNumber,
        legal_context=request.legalContext,
        ssin=criteria.ssin,
        begin=criteria.period.beginDate,
        end=criteria.period.endDate,
        person_role=getattr(criteria, "personRole", "BENEFICIARY"),
        grouping=getattr(criteria, "grouping", None),
        ticket=request.informationCustomer.ticket,
    )


def _period(span: tuple[dt.date, dt.date]) -> dict:
    return {"beginDate": span[0].isoformat(), "endDate": span[1].isoformat()}


def _row(row: RightRow) -> dict:
    out: dict = {"beginDate": row.begin.isoformat(), "endDate": row.end.isoformat()}
    if row.household_category is not None:
        out["householdCategory"] = row.household_category
    if row.decision_date is not None:
        out["decisionDate"] = row.decision_date.isoformat()
    if row.last_event is not None:
        out["lastEvent"] = {"type": row.last_event[0], "registrationDate": row.last_event[1].isoformat()}
    return out


def _group(names: tuple[str, ...], key: tuple, rows: list[RightRow]) -> dict:
    out = {name: value for name, value in zip(names, key, strict=True) if value is not None}
    out["livingWagePeriod"] = [_row(row) for row in rows]
    return out


def response_v3(operation: str, request: BaseModel, answer: Answer, information_cbss: dict) -> dict:
    """A LivingWages V3 answer: V2's shape, ``dataFilters`` after ``status`` and V3's rows (CONTRACT 4.5)."""
    out = response(operation, request, Answer(answer.status), information_cbss)
    for name in ("livingWagePeriod", "livingWagePeriodsPerPCSA", "livingWages"):
        out.pop(name, None)
    if answer.withheld:
        out["dataFilters"] = {"filteredElement": list(answer.withheld)}
    if operation.startswith("getLivingWagePeriodsPerPCSA"):
        out["livingWagePeriodsPerPCSA"] = [_group(("pcsaCbeNumber",), k, rows) for k, rows in answer.groups]
    elif operation == "getLivingWages":
        out["livingWages"] = [_group(("pcsaCbeNumber", "category"), k, rows) for k, rows in answer.groups]
    else:
        out["livingWagePeriod"] = [_row(row) for row in answer.periods]
    return out


def response(operation: str, request: BaseModel, answer: Answer, information_cbss: dict) -> dict:
    out: dict = {
        "informationCustomer": request.informationCustomer.model_dump(mode="json", exclude_none=True),
        "informationCBSS": information_cbss,
        "legalContext": request.legalContext,
        "criteria": request.criteria.model_dump(mode="json", exclude_none=True),
        "status": {
            "value": answer.status.value,
            "code": answer.status.code,
            "description": answer.status.description,
            "information": [{"fieldName": n, "fieldValue": v} for n, v in answer.status.information],
        },
    }
    if operation == "getLivingWagesWithAmount":
        out["referenceDate"] = answer.reference_date.isoformat() if answer.reference_date else None
        out["lastMonthIsLastIndemnified"] = answer.last_month_is_last_indemnified
        out["amount"] = [
            {
                "month": f"{r.month.year:04d}-{r.month.month:02d}" if r.month else None,
                "year": r.year,
                "pcsaCbeNumber": r.pcsa_cbe_number,
                "allowanceType": r.allowance_type,
                "householdCategory": r.household_category,
                "beneficiarySsin": r.beneficiary_ssin,
                "partnerSsin": r.partner_ssin,
                "grantPeriod": [_period(g) for g in r.grant_periods],
                "amount": f"{r.amount:.2f}",
                "coversWholePeriod": r.covers_whole_period,
                "finalityStatus": r.finality_status,
            }
            for r in answer.amounts or ()
        ]
    elif operation.startswith("getLivingWagePeriodsPerPCSA"):
        out["livingWagePeriodsPerPCSA"] = [
            {"pcsaCbeNumber": key[0], "livingWagePeriod": [_period(s) for s in spans]} for key, spans in answer.groups
        ]
    elif operation == "getLivingWages":
        out["livingWages"] = [
            {"pcsaCbeNumber": key[0], "category": key[1], "livingWagePeriod": [_period(s) for s in spans]}
            for key, spans in answer.groups
        ]
    else:
        out["livingWagePeriod"] = [_period(s) for s in answer.periods]
    return out


JSON = "application/json"


@dataclass(slots=True)
class JsonRequest:
    request: BaseModel
    consultation: Consultation


class JsonChannel:
    """``POST /api/v1/{service}/{operation}``: one channel per operation (the route names it, not the body)."""

    name = "JSON"
    invalid_status = 400
    media_types = ("application/json",)

    def __init__(self, service: str, operation: str) -> None:
        self.service = service  # the ServiceSpec.key (LivingWages, LivingWagesV3, LivingWagesWithAmount)
        self._operation = operation
        self._model = REQUEST_MODELS[service]
        spec = SERVICES[service]
        self._name, self._version = spec.name, spec.version  # what authorisations and the answer go by
        self._respond = response_v3 if (spec.name, spec.version) == ("LivingWages", "v3") else response

    def operation(self, incoming: Incoming) -> str:
        return self._operation

    def parse(self, incoming: Incoming) -> JsonRequest:
        try:
            request = self._model.model_validate_json(incoming.body)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise Invalid(f"invalid request at {where}: {first['msg']}") from None
        return JsonRequest(request, consultation(self._name, self._operation, request, self._version))

    def render(self, parsed: JsonRequest, answer: Answer, ticket_cbss: str, received: dt.datetime) -> Reply:
        payload = self._respond(self._operation, parsed.request, answer, _information_cbss(ticket_cbss, received))
        return Reply(200, json.dumps(payload).encode(), JSON)

    def fault(
        self, fault: pipeline.Fault, ticket_cbss: str, received: dt.datetime, parsed: JsonRequest | None
    ) -> Reply:
        content = {
            "faultcode": "Server" if fault.server else "Client",
            "reasonCode": fault.code,
            "diagnostic": fault.diagnostic[:256],
            "informationCBSS": _information_cbss(ticket_cbss, received),
        }
        return Reply(fault.http_status, json.dumps({"fault": content}).encode(), JSON)


def _information_cbss(ticket_cbss: str, received: dt.datetime) -> dict:
    return {
        "ticketCBSS": ticket_cbss,
        "timestampReceive": timestamp(received),
        "timestampReply": timestamp(dt.datetime.now(dt.UTC)),
    }
