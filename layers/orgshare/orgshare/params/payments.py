"""Business profile, connector, payment intent, charge and refund parameters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from orgshare.errors import InvalidRequest
from orgshare.params.common import ListParams, Metadata, Params, Unsettable, WireInt
from orgshare.params.events import Range
from orgshare.params.payment_methods import BillingDetails, CardInput

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3)]


class ProfileCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ProfileList(ListParams):
    pass


class ConnectorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    # The stripe connector's API base, test mode only (e.g. a localstripe on 127.0.0.1).
    api_base: Annotated[str, StringConstraints(max_length=500)] | None = None


class ConnectorCreate(Params):
    connector_name: Literal["test", "stripe"]
    credentials: dict[Annotated[str, StringConstraints(max_length=40)], Annotated[str, StringConstraints(min_length=1, max_length=500)]]
    settings: ConnectorSettings | None = None
    enabled_payment_method_types: list[Literal["card"]] | None = None  # None: card
    disabled: bool = False


class ConnectorUpdate(Params):
    credentials: (
        dict[Annotated[str, StringConstraints(max_length=40)], Annotated[str, StringConstraints(min_length=1, max_length=500)]] | None
    ) = None
    settings: ConnectorSettings | None = None
    disabled: bool | None = None


class PaymentMethodData(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    type: Literal["card"]
    card: CardInput
    billing_details: BillingDetails | None = None


class PaymentIntentCreate(Params):
    amount: WireInt
    currency: Currency
    customer: Id | None = None
    payment_method: Id | None = None
    payment_method_data: PaymentMethodData | None = None
    payment_method_types: list[Literal["card"]] | None = None
    allowed_payment_method_types: list[Literal["card"]] | None = None  # Stripe's newer name for the same (stripe-python 16)
    confirm: bool = False
    # Stripe's: the customer is not in the checkout flow (true, or "one_off" / "recurring"); only with confirm.
    off_session: bool | Literal["one_off", "recurring"] | None = None
    setup_future_usage: Literal["on_session", "off_session"] | None = None
    capture_method: Literal["automatic", "automatic_async", "manual"] = "automatic_async"
    metadata: Metadata = None
    description: Unsettable[str] = Field(None, max_length=1000)
    profile: Id | None = None


class PaymentIntentUpdate(Params):
    amount: WireInt | None = None
    currency: Currency | None = None
    customer: Id | None = None
    payment_method: Id | None = None
    setup_future_usage: Literal["on_session", "off_session"] | None = None
    metadata: Metadata = None
    description: Unsettable[str] = Field(None, max_length=1000)


class PaymentIntentConfirm(Params):
    payment_method: Id | None = None
    payment_method_data: PaymentMethodData | None = None
    off_session: bool | Literal["one_off", "recurring"] | None = None
    setup_future_usage: Literal["on_session", "off_session"] | None = None


class PaymentIntentCapture(Params):
    amount_to_capture: WireInt | None = None


class PaymentIntentCancel(Params):
    cancellation_reason: Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"] | None = None


class PaymentIntentRetrieve(Params):
    pass


def _exact(value: Any) -> Any:
    # created=<int> means that very second, as Stripe reads it.
    return {"gte": value, "lte": value} if isinstance(value, int | str) and not isinstance(value, bool) else value


class PaymentIntentList(ListParams):
    customer: Id | None = None
    created: Annotated[Range | None, BeforeValidator(_exact)] = None


class ChargeRetrieve(Params):
    pass


class ChargeList(ListParams):
    customer: Id | None = None
    payment_intent: Id | None = None
    created: Annotated[Range | None, BeforeValidator(_exact)] = None


class ChargeRefundList(ListParams):
    pass


class RefundCreate(Params):
    """What to refund: a payment intent (its charge) or a charge, one of the two."""

    payment_intent: Id | None = None
    charge: Id | None = None
    amount: WireInt | None = None
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None
    metadata: Metadata = None

    @model_validator(mode="after")
    def _one_target(self) -> RefundCreate:
        if self.payment_intent and self.charge:
            raise InvalidRequest(
                "You may only specify one of these parameters: charge, payment_intent.", code="parameters_exclusive", param="charge"
            )
        if not (self.payment_intent or self.charge):
            raise InvalidRequest(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing", param="payment_intent",
            )  # fmt: skip
        return self


class RefundUpdate(Params):
    """Stripe's refund update: only its metadata changes."""

    metadata: Metadata = None


class RefundList(ListParams):
    """A payment intent's refunds or a charge's (both: the charge's, if it is the intent's)."""

    payment_intent: Id | None = None
    charge: Id | None = None

    @model_validator(mode="after")
    def _a_target(self) -> RefundList:
        if not (self.payment_intent or self.charge):
            raise InvalidRequest("Missing required param: payment_intent (or charge).", code="parameter_missing", param="payment_intent")
        return self
