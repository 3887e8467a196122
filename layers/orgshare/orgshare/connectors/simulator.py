"""The built-in `test` connector: a deterministic processor simulator with Stripe's test-card
outcomes. No network; the same card always gives the same answer."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from orgshare.connectors.base import Card, ChargeResult, RefundResult

# number -> (status, code, decline_code, message)
_OUTCOMES: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "4000000000000002": ("declined", "card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("declined", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("declined", "expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": ("declined", "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("declined", "processing_error", "processing_error", "An error occurred while processing your card. Try again."),
    "4000000000000341": ("declined", "card_declined", "generic_decline", "Your card was declined."),
    "4000002500003155": ("requires_action", None, None, None),
}


class TestConnector:
    name: ClassVar[str] = "test"
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, credentials: dict[str, str], settings: dict[str, Any], livemode: bool) -> None:
        del settings, livemode
        self.api_key = credentials["api_key"]

    def _reference(self, idempotency_key: str) -> str:
        return "sim_" + hashlib.sha256(f"{self.api_key}:{idempotency_key}".encode()).hexdigest()[:20]

    def authorize(self, card: Card, amount: int, currency: str, *, capture: bool, off_session: bool, idempotency_key: str) -> ChargeResult:
        del amount, currency, off_session
        status, code, decline_code, message = _OUTCOMES.get(card.number, ("succeeded", None, None, None))
        if status == "succeeded" and not capture:
            status = "requires_capture"
        return ChargeResult(status, self._reference(idempotency_key), code, decline_code, message)  # type: ignore[arg-type]

    def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ChargeResult:
        del amount, idempotency_key
        return ChargeResult("succeeded", reference)

    def void(self, reference: str, *, idempotency_key: str) -> None:
        del reference, idempotency_key  # nothing is held on a simulated card

    def refund(self, reference: str, amount: int, *, idempotency_key: str) -> RefundResult:
        del reference, amount
        return RefundResult("succeeded", self._reference(idempotency_key))
