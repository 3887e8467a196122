"""Customer parameters (Stripe's /v1/customers)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orgshare.params.common import EMAIL_PATTERN, Address, ListParams, Metadata, Params, Unsettable, WireInt

Locale = Annotated[str, StringConstraints(min_length=2, max_length=16)]


class Shipping(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    address: Address
    name: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    phone: Unsettable[str] = Field(None, max_length=500)


class InvoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    default_payment_method: Unsettable[str] = Field(None, max_length=255)
    footer: Unsettable[str] = Field(None, max_length=5000)


class CustomerFields(Params):
    """Everything a customer create or update may set. An empty string unsets a field."""

    # shared by the whole pool
    name: Unsettable[str] = Field(None, max_length=256)
    email: Unsettable[str] = Field(None, max_length=512, pattern=EMAIL_PATTERN)
    phone: Unsettable[str] = Field(None, max_length=20)
    address: Unsettable[Address] = None
    description: Unsettable[str] = Field(None, max_length=5000)
    preferred_locales: Unsettable[list[Locale]] = None
    tax_exempt: Unsettable[Literal["none", "exempt", "reverse"]] = None
    invoice_prefix: Unsettable[str] = Field(None, pattern=r"^[A-Z0-9]{3,12}$")
    business_name: Unsettable[str] = Field(None, max_length=150)
    individual_name: Unsettable[str] = Field(None, max_length=150)
    # per account
    metadata: Metadata = None
    shipping: Unsettable[Shipping] = None
    balance: WireInt | None = None
    invoice_settings: Unsettable[InvoiceSettings] = None


class CustomerCreate(CustomerFields):
    pass


class CustomerUpdate(CustomerFields):
    pass


class CustomerRetrieve(Params):
    pass


class CustomerList(ListParams):
    email: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


class CustomerSearch(Params):
    """GET /v1/customers/search: `page` is the `next_page` of the previous answer."""

    query: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    limit: Annotated[WireInt, Field(ge=1, le=100)] = 10
    page: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
