"""What every connector implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeResult:
    """A processor's answer. `status` decides the intent's next state."""

    status: Literal["succeeded", "requires_capture", "requires_action", "declined"]
    reference: str | None = None  # the processor's id for the payment, for capture and refund
    code: str | None = None  # card_declined, expired_card, incorrect_cvc, processing_error ...
    decline_code: str | None = None  # generic_decline, insufficient_funds ...
    message: str | None = None


@dataclass(frozen=True)
class RefundResult:
    status: Literal["succeeded", "failed"]
    reference: str | None = None


class ConnectorAuthFailed(Exception):
    """The connector's credentials were refused by its processor."""


class ConnectorModeMismatch(Exception):
    """The connector, or its credentials, are not for this mode (test or live). `param` names the
    field at fault, e.g. `connector_name` or `credentials[secret_key]`."""

    def __init__(self, message: str, *, param: str) -> None:
        super().__init__(message)
        self.param = param


class ProcessorFailed(Exception):
    """The processor could not be reached, failed, or refused the request itself (not the card).
    `retryable`: trying again later may work (the same idempotency key makes that safe)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Connector(Protocol):
    name: ClassVar[str]
    # Which credentials and settings the connector takes (validated when it is configured).
    credential_fields: ClassVar[tuple[str, ...]]

    @classmethod
    def check_mode(cls, credentials: dict[str, str], livemode: bool) -> None:
        """Raises ConnectorModeMismatch unless this connector with these credentials belongs in
        this mode: a simulator must never answer for live payments, nor a live key take test ones.
        Checked when it is configured and again before every call."""
        ...

    def __init__(self, credentials: dict[str, str], settings: dict[str, Any], livemode: bool) -> None: ...

    def authorize(self, card: Card, amount: int, currency: str, *, capture: bool, off_session: bool, idempotency_key: str) -> ChargeResult:
        """`off_session`: the customer is not there to authenticate (a merchant-initiated payment)."""
        ...

    def authenticate(self, reference: str, *, succeeded: bool, capture: bool, idempotency_key: str) -> ChargeResult:
        """The outcome of the customer's authentication (3-D Secure) of a payment that answered
        `requires_action`: `succeeded` is what the checkout page's test authentication step chose."""
        ...

    def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ChargeResult: ...

    def void(self, reference: str, *, idempotency_key: str) -> None:
        """Releases an authorization that will not be captured (or an unfinished payment)."""
        ...

    def refund(self, reference: str, amount: int, *, idempotency_key: str) -> RefundResult: ...
