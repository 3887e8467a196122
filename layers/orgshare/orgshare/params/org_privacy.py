"""Parameters of the organization's privacy API: erasing a customer, its erasure records, its consent records."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from orgshare.params.common import ListParams, Params, Unsettable

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class CustomerErase(Params):
    # Why (a request under GDPR article 17, say): shown on the erasure record. Say what, not who:
    # the record is kept, so the reason must not carry the personal data being erased.
    reason: Unsettable[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = None


class CustomerErasureList(ListParams):
    customer: CustomerId | None = None


class CustomerErasureRetrieve(Params):
    pass


class ConsentList(ListParams):
    pass


class ConsentExport(Params):
    pass
