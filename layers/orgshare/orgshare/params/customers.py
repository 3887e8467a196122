"""Customer parameters (Stripe's /v1/customers)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from orgshare.params.common import Address, Email, ListParams, Metadata, Params, ShortText, Text, text, unsettable


class Shipping(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    address: Address
    name: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    phone: ShortText = None


class InvoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    footer: Text = None


class CustomerFields(Params):
    """Everything a customer create or update may set. An empty string unsets a field."""

    # shared by the whole pool
    name: text(256) = None
    email: Email = None
    phone: text(20) = None
    address: unsettable(Address) = None
    description: Text = None
    preferred_locales: unsettable(list[Annotated[str, StringConstraints(min_length=2, max_length=16)]]) = None
    tax_exempt: unsettable(Literal["none", "exempt", "reverse"]) = None
    invoice_prefix: text(12, pattern=r"^[A-Z0-9]{3,12}$") = None
    business_name: text(150) = None
    individual_name: text(150) = None
    # per account
    metadata: Metadata = None
    shipping: unsettable(Shipping) = None
    balance: int | None = None
    invoice_settings: unsettable(InvoiceSettings) = None


class CustomerCreate(CustomerFields):
    pass


class CustomerUpdate(CustomerFields):
    pass


class CustomerRetrieve(Params):
    pass


class CustomerList(ListParams):
    email: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
