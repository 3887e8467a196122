"""Parameters of the organization's view: a customer across the organization, and the lists of
customers, payment intents and refunds across its accounts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints

from orgshare.params.common import ListParams, Params
from orgshare.params.events import Range

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _exact(value: Any) -> Any:
    # created=<int> means that very second, as Stripe reads it.
    return {"gte": value, "lte": value} if isinstance(value, int | str) and not isinstance(value, bool) else value


Created = Annotated[Range | None, BeforeValidator(_exact)]


class OrgCustomerRetrieve(Params):
    pass


class OrgCustomerList(ListParams):
    # email: the whole address, case-insensitively; name: a case-insensitive prefix of the name or of any word of it.
    email: str | None = Field(None, min_length=1, max_length=512)
    name: str | None = Field(None, min_length=1, max_length=256)
    created: Created = None
    account: Id | None = None


class OrgPaymentIntentList(ListParams):
    account: Id | None = None
    customer: Id | None = None
    created: Created = None


class OrgRefundList(ListParams):
    account: Id | None = None
    payment_intent: Id | None = None
