"""Payment method parameters (Stripe's /v1/payment_methods)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orgshare.params.common import EMAIL_PATTERN, Address, ListParams, Metadata, Params, Unsettable, WireInt

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class BillingDetails(_Strict):
    address: Unsettable[Address] = None
    email: Unsettable[str] = Field(None, max_length=512, pattern=EMAIL_PATTERN)
    name: Unsettable[str] = Field(None, max_length=256)
    phone: Unsettable[str] = Field(None, max_length=20)


class CardInput(_Strict):
    """A raw card, or a test token (tok_visa, pm_card_visa) standing for one."""

    number: Annotated[str, StringConstraints(max_length=32)] | None = None
    exp_month: WireInt | None = None
    exp_year: WireInt | None = None
    cvc: Annotated[str, StringConstraints(max_length=4)] | None = None
    token: Id | None = None


class CardUpdate(_Strict):
    exp_month: WireInt | None = None
    exp_year: WireInt | None = None


class UsBankAccountInput(_Strict):
    account_number: Annotated[str, StringConstraints(max_length=17)]
    routing_number: Annotated[str, StringConstraints(max_length=9)]
    account_holder_type: Literal["individual", "company"] = "individual"
    account_type: Literal["checking", "savings"] = "checking"


class PaymentMethodCreate(Params):
    type: Literal["card", "us_bank_account"]
    card: CardInput | None = None
    us_bank_account: UsBankAccountInput | None = None
    billing_details: BillingDetails | None = None
    metadata: Metadata = None
    allow_redisplay: Literal["always", "limited", "unspecified"] | None = None


class PaymentMethodUpdate(Params):
    billing_details: BillingDetails | None = None
    card: CardUpdate | None = None
    metadata: Metadata = None
    allow_redisplay: Literal["always", "limited", "unspecified"] | None = None


class PaymentMethodRetrieve(Params):
    pass


class PaymentMethodUsageList(ListParams):
    pass


class PaymentMethodAttach(Params):
    customer: Id


class PaymentMethodDetach(Params):
    pass


class CustomerPaymentMethodList(ListParams):
    type: Literal["card", "us_bank_account"] | None = None


class PaymentMethodList(CustomerPaymentMethodList):
    customer: Id
