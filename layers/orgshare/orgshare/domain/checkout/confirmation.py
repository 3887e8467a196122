"""POST /v1/checkout/sessions/{id}/confirm: a checkout page's script paying its session through the
API, with the account's publishable key and the session's client_secret (or a secret key)."""

from __future__ import annotations

from typing import Any

from orgshare.domain.checkout import completion, secrets
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import CardError, ResourceMissing
from orgshare.params.checkout import CheckoutSessionConfirm
from orgshare.storage import directory


class CheckoutDeclined(CardError):
    """The card was declined: the session stays open (pay again with another card), and an
    idempotent retry replays this answer rather than trying the card again."""

    stored = True

    def __init__(self, outcome: completion.Outcome) -> None:
        super().__init__(outcome.error or "Your card was declined.", code="card_declined", param="card")
        self.outcome = outcome

    def body(self) -> dict[str, Any]:
        body = super().body()
        # Stored for replays: the session as events show it, without its page secret.
        session = {**self.outcome.session, "url": None, "client_secret": None}
        body["error"].update(checkout_session=session, payment_intent=self.outcome.payment_intent)
        return body


def organization_name(principal: Principal) -> str:
    found = directory.get_organization(principal.org) or {}
    return str(found.get("name") or "this organization")


def confirm(principal: Principal, session: str, params: CheckoutSessionConfirm, request: RequestInfo) -> dict[str, Any]:
    if principal.key_type == "publishable" and not secrets.is_valid(session, params.client_secret):
        raise ResourceMissing("checkout.session", session)  # without its secret, a session is not there
    outcome = completion.pay(principal, session, params, request, organization_name(principal))
    if outcome.status == "declined":
        raise CheckoutDeclined(outcome)
    confirmation = {"status": outcome.status, "payment_intent": outcome.payment_intent, "setup_intent": outcome.setup_intent}
    return {**outcome.session, "confirmation": confirmation}
