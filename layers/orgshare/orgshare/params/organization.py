"""Organization parameters: the organization view, sharing enablements and sandboxes."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from orgshare.params.common import ListParams, Params, Unsettable, WireBool

AccountId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
MAX_ENABLEMENT_ACCOUNTS = 20  # each is two writes of the enablement's one transaction


class OrganizationRetrieve(Params):
    pass


class SharingEnablementCreate(Params):
    # Both required, but checked by the domain: its messages say why (consent), and how many.
    accounts: Unsettable[list[AccountId]] = None
    consent_collected: WireBool | None = None


class SharingEnablementRetrieve(Params):
    pass


class SharingEnablementList(ListParams):
    pass


class SharingDuplicateList(ListParams):
    pass


class SandboxList(ListParams):
    pass


class SandboxCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
