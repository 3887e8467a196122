"""Payment connectors: the small interface a processor adapter implements, and the registry.

To add a processor, write a class with `check_mode`, `authorize`, `capture`, `void` and `refund`
(see base.Connector), give it a `name`, and add it to CONNECTORS. Each gets the vaulted card
number only for the call.
"""

from __future__ import annotations

from orgshare.connectors.base import (
    Card,
    ChargeResult,
    Connector,
    ConnectorAuthFailed,
    ConnectorModeMismatch,
    ProcessorFailed,
    RefundResult,
)
from orgshare.connectors.simulator import TestConnector
from orgshare.connectors.stripe_adapter import StripeConnector

CONNECTORS: dict[str, type[Connector]] = {TestConnector.name: TestConnector, StripeConnector.name: StripeConnector}

__all__ = [
    "CONNECTORS", "Card", "ChargeResult", "Connector", "ConnectorAuthFailed", "ConnectorModeMismatch", "ProcessorFailed", "RefundResult",
]  # fmt: skip
