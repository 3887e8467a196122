"""The `stripe` connector: charges through Stripe's API with the merchant's own secret key, using
the stripe SDK and sending the vaulted card. `api_base` points it elsewhere in test mode (e.g.
localstripe on 127.0.0.1); live mode always talks to api.stripe.com.

The stripe SDK is imported on first use, not with this module: every function that knows the
connectors (profiles, payments) would otherwise pay about 0.2 s more cold start for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from orgshare.connectors.base import Card, ChargeResult, ConnectorAuthFailed, ProcessorFailed, RefundResult

LIVE_API = "https://api.stripe.com"


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

    def __init__(self, credentials: dict[str, str], settings: dict[str, Any], livemode: bool) -> None:
        import stripe

        api = LIVE_API if livemode else str(settings.get("api_base") or LIVE_API)
        self.client = stripe.StripeClient(credentials["secret_key"], base_addresses={"api": api}, max_network_retries=2)

    def authorize(self, card: Card, amount: int, currency: str, *, capture: bool, off_session: bool, idempotency_key: str) -> ChargeResult:
        import stripe

        del off_session
        try:
            with _translated():
                method = self.client.v1.payment_methods.create(
                    params={"type": "card", "card": {"number": card.number, "exp_month": card.exp_month, "exp_year": card.exp_year}},
                    options={"idempotency_key": f"{idempotency_key}-pm"},
                )
                intent = self.client.v1.payment_intents.create(
                    params={"amount": amount, "currency": currency, "payment_method": method.id,
                            "confirm": True, "capture_method": "automatic" if capture else "manual"},
                    options={"idempotency_key": idempotency_key},
                )  # fmt: skip
        except stripe.CardError as exc:
            body: dict[str, Any] = (exc.json_body or {}).get("error", {}) if isinstance(exc.json_body, dict) else {}
            return ChargeResult("declined", None, exc.code or "card_declined", body.get("decline_code"), exc.user_message)
        if intent.status in ("succeeded", "requires_capture", "requires_action"):
            return ChargeResult(intent.status, intent.id)  # type: ignore[arg-type]
        error = intent.to_dict().get("last_payment_error") or {}
        return ChargeResult("declined", intent.id, error.get("code") or "card_declined", error.get("decline_code"), error.get("message"))

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
