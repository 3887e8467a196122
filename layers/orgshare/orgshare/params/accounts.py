"""Account and API key parameters (platform-only endpoints)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orgshare.params.common import EMAIL_PATTERN, ListParams, Metadata, Params, Unsettable, WireInt


class BusinessProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    name: Annotated[str, StringConstraints(max_length=250)] | None = None
    url: Annotated[str, StringConstraints(max_length=500)] | None = None


class AccountCreate(Params):
    type: Literal["connected", "standard"]
    email: Unsettable[str] = Field(None, max_length=512, pattern=EMAIL_PATTERN)
    country: Annotated[str, StringConstraints(min_length=2, max_length=2)] | None = None
    business_profile: BusinessProfile | None = None
    metadata: Metadata = None


class AccountRetrieve(Params):
    pass


class AccountList(ListParams):
    pass


class ApiKeyCreate(Params):
    # A publishable key (pk_...) is for what runs in a browser: one per account and mode, a new one
    # replaces the old; it can only create cards for, and pay, a checkout session.
    type: Literal["secret", "publishable"] = "secret"
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    expires_at: Annotated[WireInt, Field(gt=0)] | None = None


class ApiKeyList(ListParams):
    pass


MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600  # how long a rolled key may keep working, as Stripe's "roll key" offers


class ApiKeyRotate(Params):
    # When the old key stops working (a unix time, at most 7 days ahead); without it, at once.
    expires_at: Annotated[WireInt, Field(gt=0)] | None = None


class ApiKeyRetrieve(Params):
    pass
