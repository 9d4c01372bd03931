"""The ways into a consultation (``service.pipeline.Channel``): each parses, renders and faults, nothing more.

``soap`` holds what the SOAP services share; ``living_wages`` (LivingWages V2), ``living_wages_v3`` (LivingWages
V3) and ``with_amount`` (LivingWagesWithAmount V1) write their answers; ``json_mirror`` is the JSON mirror of them.
A new way in is one new module here and one line below (and, for a new SOAP service, its spec in
``service.schemas``).
"""

from __future__ import annotations

from service.channels.json_mirror import JsonChannel
from service.channels.living_wages import LivingWagesChannel
from service.channels.living_wages_v3 import LivingWagesV3Channel
from service.channels.soap import SoapChannel
from service.channels.with_amount import WithAmountChannel
from service.schemas import LIVING_WAGES, LIVING_WAGES_V3, LIVING_WAGES_WITH_AMOUNT, SERVICES

SOAP_CHANNELS: dict[str, SoapChannel] = {  # by ServiceSpec.key
    LIVING_WAGES.key: LivingWagesChannel(LIVING_WAGES),
    LIVING_WAGES_V3.key: LivingWagesV3Channel(LIVING_WAGES_V3),
    LIVING_WAGES_WITH_AMOUNT.key: WithAmountChannel(LIVING_WAGES_WITH_AMOUNT),
}
assert set(SOAP_CHANNELS) == set(SERVICES), "every SOAP service has its channel"

__all__ = ["SOAP_CHANNELS", "JsonChannel", "SoapChannel"]
