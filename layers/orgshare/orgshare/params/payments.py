"""Business profile, connector, payment intent and refund parameters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orgshare.params.common import ListParams, Metadata, Params, Unsettable, WireInt
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


class PaymentIntentList(ListParams):
    customer: Id | None = None


class RefundCreate(Params):
    payment_intent: Id
    amount: WireInt | None = None
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None
    metadata: Metadata = None


class RefundList(ListParams):
    payment_intent: Id
