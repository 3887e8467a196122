"""Organization parameters: the organization view, sharing enablements and sandboxes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from orgshare.params.common import ListParams, Params

AccountId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
MAX_ENABLEMENT_ACCOUNTS = 20  # each is two writes of the enablement's one transaction


class OrganizationRetrieve(Params):
    pass


class SharingEnablementCreate(Params):
    # Required, but checked by the domain: its message says why consent is needed.
    accounts: list[AccountId] | None = Field(None, max_length=MAX_ENABLEMENT_ACCOUNTS)
    consent_collected: bool | None = None


class SharingEnablementRetrieve(Params):
    pass


class SharingEnablementList(ListParams):
    pass


class SharingDuplicateList(ListParams):
    pass


class SandboxCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
