"""The built-in `test` connector: a deterministic processor simulator with Stripe's test-card
outcomes. No network; the same card always gives the same answer. It moves no money, so it is
for test mode only."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from orgshare.connectors.base import Card, ChargeResult, ConnectorModeMismatch, RefundResult

# number -> (status, code, decline_code, message)
_OUTCOMES: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "4000000000000002": ("declined", "card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("declined", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("declined", "expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": ("declined", "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("declined", "processing_error", "processing_error", "An error occurred while processing your card. Try again."),
    "4000000000000341": ("declined", "card_declined", "generic_decline", "Your card was declined."),
}
# 3-D Secure cards: on-session the customer is asked to authenticate; off-session nobody can, and
# Stripe declines instead (3155 is never set up for off-session use here: its first payment stops
# at requires_action; 3184 requires authentication on every payment).
_NEEDS_AUTHENTICATION = frozenset({"4000002500003155", "4000002760003184"})
_AUTHENTICATION_REQUIRED = ("declined", "authentication_required", "authentication_required",
                            "Your card was declined. This transaction requires authentication.")  # fmt: skip


class TestConnector:
    name: ClassVar[str] = "test"
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    __test__ = False  # not a pytest test class, whatever its name

    @classmethod
    def check_mode(cls, credentials: dict[str, str], livemode: bool) -> None:
        del credentials
        if livemode:
            raise ConnectorModeMismatch(
                "The test connector is a simulator that moves no money: it is for test mode only. Use a live processor's connector.",
                param="connector_name",
            )

    def __init__(self, credentials: dict[str, str], settings: dict[str, Any], livemode: bool) -> None:
        del settings, livemode
        self.api_key = credentials["api_key"]

    def _reference(self, idempotency_key: str) -> str:
        # Not derived from the credentials: the reference is stored with the payment, in clear.
        return "sim_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]

    def authorize(self, card: Card, amount: int, currency: str, *, capture: bool, off_session: bool, idempotency_key: str) -> ChargeResult:
        del amount, currency
        if card.number in _NEEDS_AUTHENTICATION:
            status, code, decline_code, message = _AUTHENTICATION_REQUIRED if off_session else ("requires_action", None, None, None)
        else:
            status, code, decline_code, message = _OUTCOMES.get(card.number, ("succeeded", None, None, None))
        if status == "succeeded" and not capture:
            status = "requires_capture"
        return ChargeResult(status, self._reference(idempotency_key), code, decline_code, message)  # type: ignore[arg-type]

    def authenticate(self, reference: str, *, succeeded: bool, capture: bool, idempotency_key: str) -> ChargeResult:
        del idempotency_key
        if not succeeded:
            message = "We are unable to authenticate your payment method. Please choose a different payment method and try again."
            return ChargeResult("declined", reference, "payment_intent_authentication_failure", None, message)
        return ChargeResult("succeeded" if capture else "requires_capture", reference)

    def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ChargeResult:
        del amount, idempotency_key
        return ChargeResult("succeeded", reference)

    def void(self, reference: str, *, idempotency_key: str) -> None:
        del reference, idempotency_key  # nothing is held on a simulated card

    def refund(self, reference: str, amount: int, *, idempotency_key: str) -> RefundResult:
        del reference, amount
        return RefundResult("succeeded", self._reference(idempotency_key))
