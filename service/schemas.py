"""The service's WSDL and XSD files, and the compiled validators of each endpoint.

The files under ``schemas/`` are the project's own (written from CONTRACT section 4); they are served as-is
beside each endpoint so that a client can load the WSDL from its URL alone (relative ``schemaLocation``s).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from kernel.xsd import compile_schema

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
COMMON_NS = "http://kszbcss.fgov.be/types/common/v3"


@dataclass(frozen=True)
class ServiceSpec:
    """One SOAP endpoint: its names on the wire, its operations and its files."""

    name: str  # the service name of authorisations (``<name>:*``) and of the URL
    version: str  # URL segment
    interface_ns: str
    types_ns: str
    wsdl_file: str
    interface_xsd: str
    operations: tuple[str, ...]
    fault_element: str
    # the key of SERVICES, of the SOAP channels and of the JSON mirror's URL; the name, unless several versions of
    # one service are served (LivingWages V2 and V3 share the name, hence their authorisations and soapActions)
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)

    @property
    def path(self) -> str:
        return f"/soap/{self.name}Service/{self.version}"

    @property
    def soap_action_base(self) -> str:
        return f"http://kszbcss.fgov.be/{self.name}Service"

    def soap_action(self, operation: str) -> str:
        return f"{self.soap_action_base}/{operation}"


LIVING_WAGES = ServiceSpec(
    name="LivingWages",
    version="v2",
    interface_ns="http://kszbcss.fgov.be/intf/LivingWagesService/v2",
    types_ns="http://kszbcss.fgov.be/types/LivingWages/v2",
    wsdl_file="LivingWagesServiceV2.wsdl",
    interface_xsd="LivingWagesServiceV2.xsd",
    operations=(
        "getLivingWagePeriods",
        "getLivingWagePeriodsFlanders",
        "getLivingWagePeriodsPerPCSA",
        "getLivingWagePeriodsPerPCSAFlanders",
        "getLivingWages",
    ),
    fault_element="livingWagesFault",
)

# The project's reconstruction (CONTRACT section 4.5): V2's operations and soapActions, new namespaces and path.
LIVING_WAGES_V3 = ServiceSpec(
    name="LivingWages",
    version="v3",
    interface_ns="http://kszbcss.fgov.be/intf/LivingWagesService/v3",
    types_ns="http://kszbcss.fgov.be/types/LivingWages/v3",
    wsdl_file="LivingWagesServiceV3.wsdl",
    interface_xsd="LivingWagesServiceV3.xsd",
    operations=LIVING_WAGES.operations,
    fault_element="livingWagesFault",
    key="LivingWagesV3",
)

LIVING_WAGES_WITH_AMOUNT = ServiceSpec(
    name="LivingWagesWithAmount",
    version="v1",
    interface_ns="http://kszbcss.fgov.be/intf/LivingWagesWithAmountService/v1",
    types_ns="http://kszbcss.fgov.be/types/LivingWagesWithAmount/v1",
    wsdl_file="LivingWagesWithAmountServiceV1.wsdl",
    interface_xsd="LivingWagesWithAmountServiceV1.xsd",
    operations=("getLivingWagesWithAmount",),
    fault_element="livingWagesWithAmountFault",
)

SERVICES: dict[str, ServiceSpec] = {
    spec.key: spec for spec in (LIVING_WAGES, LIVING_WAGES_V3, LIVING_WAGES_WITH_AMOUNT)
}
# The service a subscriber of notifications implements (CONTRACT section 6): the project calls it at each subscriber's
# endpoint_url and serves its WSDL for them; nothing is answered at its path here.
NOTIFICATION = ServiceSpec(
    name="LivingWagesNotification",
    version="v1",
    interface_ns="http://kszbcss.fgov.be/intf/LivingWagesNotificationService/v1",
    types_ns="http://kszbcss.fgov.be/intf/LivingWagesNotificationService/v1",
    wsdl_file="LivingWagesNotificationServiceV1.wsdl",
    interface_xsd="LivingWagesNotificationServiceV1.xsd",
    operations=("notifyLivingWage",),
    fault_element="",
)
SERVED_FILES = frozenset(p.name for p in SCHEMA_DIR.glob("*.xsd"))


def _local_parser() -> etree.XMLParser:
    # Our own files, but the same discipline: no network, no entities.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


_per_thread = threading.local()


def validator(spec: ServiceSpec) -> etree.XMLSchema:
    """The compiled schema of an endpoint's interface (requests, responses, fault), one per thread.

    An lxml ``XMLSchema`` keeps one error log, which each validation clears: validating in several threads at
    once, an invalid request's error was cleared by another thread's validation, and the request answered without its
    reason (``bench/README.md``). A compilation is cheap, once per thread and endpoint."""
    compiled = getattr(_per_thread, "validators", None)
    if compiled is None:
        compiled = _per_thread.validators = {}
    schema = compiled.get(spec.key)
    if schema is None:
        document = etree.parse(str(SCHEMA_DIR / spec.interface_xsd), _local_parser())
        schema = compiled[spec.key] = compile_schema(document)
    return schema


@cache
def file_bytes(name: str) -> bytes:
    """A served schema file (only names of ``SERVED_FILES``)."""
    if name not in SERVED_FILES:
        raise FileNotFoundError(name)
    return (SCHEMA_DIR / name).read_bytes()


@cache
def notification_wsdl() -> bytes:
    """The subscriber's WSDL as written (its ``soap:address`` is a placeholder for the subscriber's endpoint)."""
    return (SCHEMA_DIR / NOTIFICATION.wsdl_file).read_bytes()


def wsdl_bytes(spec: ServiceSpec, location: str) -> bytes:
    """The endpoint's WSDL with its ``soap:address`` pointing where the client reached it."""
    text = (SCHEMA_DIR / spec.wsdl_file).read_text(encoding="utf-8")
    start = text.index('<soap:address location="') + len('<soap:address location="')
    end = text.index('"', start)
    escaped = location.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (text[:start] + escaped + text[end:]).encode("utf-8")
