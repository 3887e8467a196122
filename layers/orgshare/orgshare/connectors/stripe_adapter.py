"""The `stripe` connector: charges through Stripe's API with the merchant's own secret key, using
the stripe SDK and sending the vaulted card. `api_base` points it elsewhere in test mode (e.g.
localstripe on 127.0.0.1); live mode always talks to api.stripe.com.

Sending card numbers to Stripe (`payment_methods.create` with `card[number]`) needs Stripe's
raw card data API access on the merchant's account (and PCI DSS SAQ D); without it Stripe refuses
the request, which is a `ProcessorFailed` (not retryable) here.

The stripe SDK is imported on first use, not with this module: every function that knows the
connectors (profiles, payments) would otherwise pay about 0.2 s more cold start for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from orgshare.connectors.base import Card, ChargeResult, ConnectorAuthFailed, ConnectorModeMismatch, ProcessorFailed, RefundResult

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams

LIVE_API = "https://api.stripe.com"
LIVE_KEYS = ("sk_live_", "rk_live_")  # secret and restricted keys: the mode is in Stripe's key


@contextmanager
def _translated() -> Iterator[None]:
    """Stripe's errors as the connector interface's (a card error is an answer, handled by the caller)."""
    import stripe

    try:
        yield
    except stripe.AuthenticationError as exc:
        raise ConnectorAuthFailed(str(exc.user_message or exc)) from exc
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as exc:
        raise ProcessorFailed(f"Stripe could not be reached or failed: {exc.user_message or exc}", retryable=True) from exc
    except stripe.CardError:
        raise
    except stripe.StripeError as exc:
        raise ProcessorFailed(f"Stripe refused the request: {exc.user_message or exc}", retryable=False) from exc


class StripeConnector:
    name: ClassVar[str] = "stripe"
    credential_fields: ClassVar[tuple[str, ...]] = ("secret_key",)

    @classmethod
    def check_mode(cls, credentials: dict[str, str], livemode: bool) -> None:
        # Test mode allows keys of other shapes (localstripe takes any); live mode only live keys.
        live_key = credentials.get("secret_key", "").startswith(LIVE_KEYS)
        if livemode and not live_key:
            raise ConnectorModeMismatch(
                "A live stripe connector takes a live Stripe key (sk_live_... or rk_live_...).", param="credentials[secret_key]"
            )
        if not livemode and live_key:
            raise ConnectorModeMismatch(
                "A test stripe connector takes a test Stripe key (sk_test_... or rk_test_...): a live key would move real money.",
                param="credentials[secret_key]",
            )

    def __init__(self, credentials: dict[str, str], settings: dict[str, Any], livemode: bool) -> None:
        import stripe

        api = LIVE_API if livemode else str(settings.get("api_base") or LIVE_API)
        self.client = stripe.StripeClient(credentials["secret_key"], base_addresses={"api": api}, max_network_retries=2)

    def authorize(self, card: Card, amount: int, currency: str, *, capture: bool, off_session: bool, idempotency_key: str) -> ChargeResult:
        import stripe

        # Confirmed here, without a return_url: current API versions then need redirect-based
        # methods ruled out (the card is the payment method anyway).
        params: PaymentIntentCreateParams = {
            "amount": amount, "currency": currency, "confirm": True, "capture_method": "automatic" if capture else "manual",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }  # fmt: skip
        if off_session:
            # A merchant-initiated payment: Stripe declines (authentication_required) rather than
            # asking for 3-D Secure nobody is there to complete.
            params["off_session"] = True
        try:
            with _translated():
                method = self.client.v1.payment_methods.create(
                    params={"type": "card", "card": {"number": card.number, "exp_month": card.exp_month, "exp_year": card.exp_year}},
                    options={"idempotency_key": f"{idempotency_key}-pm"},
                )
                intent = self.client.v1.payment_intents.create(
                    params={**params, "payment_method": method.id}, options={"idempotency_key": idempotency_key}
                )
        except stripe.CardError as exc:
            # A decline, authentication_required off-session included: Stripe's intent is back in
            # requires_payment_method, as ours will be.
            body: dict[str, Any] = (exc.json_body or {}).get("error", {}) if isinstance(exc.json_body, dict) else {}
            declined = (body.get("payment_intent") or {}).get("id")
            return ChargeResult("declined", declined, exc.code or "card_declined", body.get("decline_code"), exc.user_message)
        if intent.status in ("succeeded", "requires_capture", "requires_action"):
            return ChargeResult(intent.status, intent.id)  # type: ignore[arg-type]
        error = intent.to_dict().get("last_payment_error") or {}
        return ChargeResult("declined", intent.id, error.get("code") or "card_declined", error.get("decline_code"), error.get("message"))

    def authenticate(self, reference: str, *, succeeded: bool, capture: bool, idempotency_key: str) -> ChargeResult:
        """Stripe's 3-D Secure happens between the customer and Stripe (Stripe.js), not in
        orgshare's test step: this reads where Stripe's payment stands, and refuses if it is
        still waiting for the customer."""
        del succeeded, capture, idempotency_key
        with _translated():
            intent = self.client.v1.payment_intents.retrieve(reference)
        if intent.status in ("succeeded", "requires_capture"):
            return ChargeResult(intent.status, intent.id)  # type: ignore[arg-type]
        raise ProcessorFailed("This payment's authentication must be completed with Stripe (Stripe.js) for the stripe connector.",
                              retryable=False)  # fmt: skip

    def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ChargeResult:
        with _translated():
            intent = self.client.v1.payment_intents.capture(
                reference, params={"amount_to_capture": amount}, options={"idempotency_key": idempotency_key}
            )
        return ChargeResult("succeeded" if intent.status == "succeeded" else "declined", intent.id)

    def void(self, reference: str, *, idempotency_key: str) -> None:
        with _translated():
            self.client.v1.payment_intents.cancel(reference, options={"idempotency_key": idempotency_key})

    def refund(self, reference: str, amount: int, *, idempotency_key: str) -> RefundResult:
        with _translated():
            refund = self.client.v1.refunds.create(
                params={"payment_intent": reference, "amount": amount}, options={"idempotency_key": idempotency_key}
            )
        return RefundResult("succeeded" if refund.status in ("succeeded", "pending") else "failed", refund.id)
