"""Checkout Session and SetupIntent parameters (Stripe's /v1/checkout/sessions, /v1/setup_intents)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from orgshare.params.common import EMAIL_PATTERN, ListParams, Metadata, Params, Unsettable, WireInt
from orgshare.params.payment_methods import CardInput

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3)]
Redisplay = Literal["always", "limited", "unspecified"]
# The newer names first; Stripe's older `hosted` and `embedded` mean the same.
UI_MODES = {"hosted_page": "hosted_page", "hosted": "hosted_page", "embedded_page": "embedded_page", "embedded": "embedded_page"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class ProductData(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=250)]
    description: Unsettable[str] = Field(None, max_length=500)


class PriceData(_Strict):
    currency: Currency
    unit_amount: WireInt
    product_data: ProductData


class LineItem(_Strict):
    price_data: PriceData | None = None
    price: Id | None = None  # a Price object's id: orgshare has no Prices API (refused with a clear message)
    quantity: Annotated[WireInt, Field(ge=1, le=999_999)] = 1


class SavedPaymentMethodOptions(_Strict):
    payment_method_save: Literal["enabled", "disabled"] | None = None
    allow_redisplay_filters: list[Redisplay] | None = None


class PaymentIntentData(_Strict):
    setup_future_usage: Literal["on_session", "off_session"] | None = None
    description: Unsettable[str] = Field(None, max_length=1000)
    metadata: Metadata = None


class CheckoutSessionCreate(Params):
    mode: Literal["payment", "setup"]
    line_items: Annotated[list[LineItem], Field(max_length=100)] | None = None
    currency: Currency | None = None
    customer: Id | None = None
    customer_email: Annotated[str, StringConstraints(max_length=512, pattern=EMAIL_PATTERN)] | None = None
    customer_creation: Literal["always", "if_required"] | None = None
    saved_payment_method_options: SavedPaymentMethodOptions | None = None
    payment_intent_data: PaymentIntentData | None = None
    payment_method_types: list[Literal["card"]] | None = None
    # Stripe's newer name for payment_method_types (stripe-python 16 types only this one); card only, like it.
    allowed_payment_method_types: list[Literal["card"]] | None = None
    ui_mode: Annotated[str, Field(json_schema_extra={"enum": list(UI_MODES)})] = "hosted_page"
    success_url: Url | None = None
    cancel_url: Url | None = None
    return_url: Url | None = None
    expires_at: WireInt | None = None
    metadata: Metadata = None
    client_reference_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @field_validator("ui_mode")
    @classmethod
    def _ui_mode(cls, value: str) -> str:
        if value not in UI_MODES:
            raise ValueError("must be one of hosted_page, embedded_page (or the older hosted, embedded)")
        return UI_MODES[value]


class CheckoutSessionRetrieve(Params):
    pass


class CheckoutSessionList(ListParams):
    customer: Id | None = None
    payment_intent: Id | None = None
    status: Literal["open", "complete", "expired"] | None = None


class CheckoutSessionLineItems(ListParams):
    pass


class CheckoutSessionExpire(Params):
    pass


class CheckoutSessionConfirm(Params):
    """What the checkout page (or its script, with a publishable key) sends to pay a session."""

    client_secret: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    payment_method: Id | None = None  # a saved pool card offered by the page, or one just created
    card: CardInput | None = None  # a new card, typed into the page
    save_payment_method: bool = False  # the customer ticked "save my card" (their sharing consent)
    consent_text: Annotated[str, StringConstraints(max_length=1000)] | None = None  # the wording they were shown
    email: Annotated[str, StringConstraints(max_length=512, pattern=EMAIL_PATTERN)] | None = None


class SetupIntentCreate(Params):
    customer: Id | None = None
    payment_method: Id | None = None
    confirm: bool = False
    usage: Literal["on_session", "off_session"] = "off_session"
    payment_method_types: list[Literal["card"]] | None = None
    allowed_payment_method_types: list[Literal["card"]] | None = None  # Stripe's newer name for the same
    description: Unsettable[str] = Field(None, max_length=1000)
    metadata: Metadata = None


class SetupIntentUpdate(Params):
    customer: Id | None = None
    payment_method: Id | None = None
    description: Unsettable[str] = Field(None, max_length=1000)
    metadata: Metadata = None


class SetupIntentConfirm(Params):
    payment_method: Id | None = None


class SetupIntentCancel(Params):
    cancellation_reason: Literal["abandoned", "requested_by_customer", "duplicate"] | None = None


class SetupIntentRetrieve(Params):
    pass


class SetupIntentList(ListParams):
    customer: Id | None = None
    payment_method: Id | None = None
