"""GET /v1/payment_intents: an account's payment intents, newest first, Stripe's cursors, by
`customer` and `created` (gt/gte/lt/lte, or an exact second), read as key ranges, never filtered
after a read for isolation (the keys name the account).

Ids are time-sortable, so a created range is an id range: the account's month buckets
(storage/months.py) are read only for the months the range covers, or a customer's index (one
Query) between the range's ids. An intent's `created` is stamped as its id is minted; the id's
second may be one before it (older intents), so the id range starts a second early and the
range itself is checked on each intent read there.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.domain import charges, payments
from orgshare.domain.principal import Principal
from orgshare.ids import id_time_ms
from orgshare.params.payments import PaymentIntentList
from orgshare.storage import payments as store
from orgshare.wire.id_ranges import id_bounds, within
from orgshare.wire.lists import check_expand, list_object, page


def list_intents(principal: Principal, params: PaymentIntentList, url: str) -> dict[str, Any]:
    """Newest first: a customer's intents from the account's index of them, else the account's by
    month; `created` narrows the key range (and the months read) itself."""
    check_expand(params.expand, payments.EXPANDABLE, in_list=True)
    org, account, mode = principal.org, principal.account, principal.mode
    low, high = id_bounds("pi", params.created, early_seconds=1)
    now_ms = int(time.time() * 1000)

    def read(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        if params.customer:
            return store.customer_intents(org, account, mode, params.customer, limit=limit, after=after, before=before,
                                          descending=descending)  # fmt: skip
        oldest_ms = max(id_time_ms(account) or 0, (id_time_ms(low) or 0) if low else 0)
        newest_ms = min(now_ms, id_time_ms(high) or now_ms) if high else now_ms
        return store.list_intents(org, account, mode, limit=limit, after=after, before=before, oldest_ms=oldest_ms, now_ms=newest_ms)

    created = params.created

    def admits(intent: dict[str, Any]) -> bool:
        return created is None or created.admits(int(intent["created"]))

    intents, has_more = page(params, within(read, admits, low, high))
    return list_object(url, charges.expand_intents(principal, [payments.render(i) for i in intents], params.expand), has_more)
