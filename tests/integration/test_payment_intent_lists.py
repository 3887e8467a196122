"""GET /v1/payment_intents through the stripe SDK on the local system: Stripe's `created` filter
(gt, gte, lt, lte, or an exact second), alone and with `customer`, with both cursors and the
SDK's auto-paging; newest first; an account's list holds its own payments only; the dashboard's
payments page filters dates through it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem
from tests.integration.test_dashboard_security import Browser

pytestmark = pytest.mark.integration


def _next_second() -> int:
    """Waits for the clock's next second, so each payment below has a `created` second of its own."""
    start, pause = int(time.time()), threading.Event()
    while int(time.time()) == start:
        pause.wait(0.02)
    return int(time.time())


@dataclass(frozen=True)
class Made:
    customer: str
    ids: list[str]  # oldest first: 0 and 2 are the customer's, 1 and 3 have no customer
    created: list[int]
    elsewhere: str  # Rocket Deliveries' payment, made in the same seconds


@pytest.fixture(scope="module")
def rides(local_system: LocalSystem) -> stripe.StripeClient:
    return local_system.client("Rocket Rides")


@pytest.fixture(scope="module")
def made(local_system: LocalSystem, rides: stripe.StripeClient) -> Made:
    customer = rides.v1.customers.create(params={"name": "Listed Lou"})
    deliveries = local_system.client("Rocket Deliveries")
    intents = []
    elsewhere = None
    for n in range(4):
        _next_second()
        params: Any = {"amount": 1000 + n, "currency": "usd", **({"customer": customer.id} if n % 2 == 0 else {})}
        intents.append(rides.v1.payment_intents.create(params=params))
        if n == 1:
            elsewhere = deliveries.v1.payment_intents.create(params={"amount": 999, "currency": "usd"}).id
    assert len({i.created for i in intents}) == 4
    assert elsewhere is not None
    return Made(customer.id, [i.id for i in intents], [i.created for i in intents], elsewhere)


def ids(listing: Any) -> list[str]:
    return [i.id for i in listing.data]


def test_created_ranges_list_the_payments_made_in_them_newest_first(rides: stripe.StripeClient, made: Made) -> None:
    i, c = made.ids, made.created
    listed = rides.v1.payment_intents.list(params={"created": {"gte": c[1], "lte": c[2]}})
    assert ids(listed) == [i[2], i[1]] and listed.has_more is False and listed.url == "/v1/payment_intents"
    assert ids(rides.v1.payment_intents.list(params={"created": {"gt": c[1]}})) == [i[3], i[2]]
    assert ids(rides.v1.payment_intents.list(params={"created": {"gte": c[0], "lt": c[1]}})) == [i[0]]
    assert ids(rides.v1.payment_intents.list(params={"created": {"gt": c[0], "lt": c[3]}})) == [i[2], i[1]]
    assert ids(rides.v1.payment_intents.list(params={"created": c[2]})) == [i[2]]  # an exact second
    assert ids(rides.v1.payment_intents.list(params={"created": {"gte": c[0], "lte": c[3]}, "limit": 100})) == i[::-1]
    # Ranges holding none of them: before the first, after the last, and an empty one.
    assert [p for p in ids(rides.v1.payment_intents.list(params={"created": {"lt": c[0]}, "limit": 100})) if p in i] == []
    assert rides.v1.payment_intents.list(params={"created": {"gt": c[3]}}).data == []
    assert rides.v1.payment_intents.list(params={"created": {"gt": c[2], "lt": c[1]}}).data == []
    # Every payment listed carries its `created` inside the range asked for.
    for payment in rides.v1.payment_intents.list(params={"created": {"gte": c[1]}, "limit": 100}).data:
        assert payment.created >= c[1]


def test_created_with_customer(rides: stripe.StripeClient, made: Made) -> None:
    i, c = made.ids, made.created
    assert ids(rides.v1.payment_intents.list(params={"customer": made.customer})) == [i[2], i[0]]
    assert ids(rides.v1.payment_intents.list(params={"customer": made.customer, "created": {"gte": c[1]}})) == [i[2]]
    assert ids(rides.v1.payment_intents.list(params={"customer": made.customer, "created": {"lte": c[1]}})) == [i[0]]
    assert ids(rides.v1.payment_intents.list(params={"customer": made.customer, "created": c[0]})) == [i[0]]
    assert rides.v1.payment_intents.list(params={"customer": made.customer, "created": c[1]}).data == []
    assert rides.v1.payment_intents.list(params={"customer": "cus_nobody", "created": {"gte": c[0]}}).data == []


def test_cursors_page_through_a_range(rides: stripe.StripeClient, made: Made) -> None:
    i, c = made.ids, made.created
    window: Any = {"gte": c[0], "lte": c[3]}
    first = rides.v1.payment_intents.list(params={"created": window, "limit": 1})
    assert ids(first) == [i[3]] and first.has_more is True
    second = rides.v1.payment_intents.list(params={"created": window, "limit": 2, "starting_after": i[3]})
    assert ids(second) == [i[2], i[1]] and second.has_more is True
    last = rides.v1.payment_intents.list(params={"created": window, "limit": 2, "starting_after": i[1]})
    assert ids(last) == [i[0]] and last.has_more is False
    back = rides.v1.payment_intents.list(params={"created": window, "limit": 1, "ending_before": i[1]})
    assert ids(back) == [i[2]] and back.has_more is True
    newest = rides.v1.payment_intents.list(params={"created": window, "limit": 5, "ending_before": i[1]})
    assert ids(newest) == [i[3], i[2]] and newest.has_more is False
    paged = rides.v1.payment_intents.list(params={"created": window, "limit": 1}).auto_paging_iter()
    assert [p.id for p in paged] == i[::-1]
    # With a customer: the customer's own index, the same cursors.
    mine = rides.v1.payment_intents.list(params={"customer": made.customer, "created": window, "limit": 1})
    assert ids(mine) == [i[2]] and mine.has_more is True
    rest = rides.v1.payment_intents.list(params={"customer": made.customer, "created": window, "limit": 1, "starting_after": i[2]})
    assert ids(rest) == [i[0]] and rest.has_more is False
    above = rides.v1.payment_intents.list(params={"customer": made.customer, "created": window, "ending_before": i[0]})
    assert ids(above) == [i[2]] and above.has_more is False


def test_an_account_lists_its_own_payments_only(local_system: LocalSystem, rides: stripe.StripeClient, made: Made) -> None:
    c = made.created
    window: Any = {"gte": c[0], "lte": c[3]}
    assert made.elsewhere not in ids(rides.v1.payment_intents.list(params={"created": window, "limit": 100}))
    deliveries = local_system.client("Rocket Deliveries")
    theirs = ids(deliveries.v1.payment_intents.list(params={"created": window, "limit": 100}))
    assert made.elsewhere in theirs and not set(theirs) & set(made.ids)
    # The platform sees an account's list acting for it (Stripe-Account), the same list.
    platform = local_system.client("Rocket Platform")
    acting = platform.v1.payment_intents.list(
        params={"created": window}, options={"stripe_account": local_system.accounts["Rocket Rides"].id}
    )
    assert ids(acting) == made.ids[::-1]


@pytest.mark.parametrize(
    ("created", "param"),
    [({"gt": "soon"}, "created[gt]"), ({"after": "1"}, "created[after]"), ({"lte": "1.5"}, "created[lte]")],
)
def test_a_bad_created_is_a_stripe_error(rides: stripe.StripeClient, created: Any, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        rides.v1.payment_intents.list(params={"created": created})
    assert raised.value.http_status == 400
    assert raised.value.param == param, raised.value.user_message


def test_the_dashboard_payments_page_filters_dates_through_the_list(local_system: LocalSystem, made: Made) -> None:
    browser = Browser(local_system.url)
    assert browser.sign_in(local_system.accounts["Rocket Platform"].key).status == 303
    rides = local_system.accounts["Rocket Rides"].id
    day = time.strftime("%Y-%m-%d", time.gmtime(made.created[0]))
    before = time.strftime("%Y-%m-%d", time.gmtime(made.created[0] - 86_400))
    shown = browser.get(f"/dashboard/a/{rides}/payments?from={day}&to={day}&customer={made.customer}")
    assert shown.status == 200
    assert made.ids[0] in shown.body and made.ids[2] in shown.body and made.ids[1] not in shown.body
    assert "status filter" not in shown.body  # dates and customer cover every payment: no caveat shown
    earlier = browser.get(f"/dashboard/a/{rides}/payments?to={before}&customer={made.customer}")
    assert earlier.status == 200 and not any(i in earlier.body for i in made.ids) and "No payments match these filters" in earlier.body
    # Status is the page's own filter (Stripe's list has none): the page says what it covers.
    waiting = browser.get(f"/dashboard/a/{rides}/payments?status=requires_payment_method&from={day}")
    assert all(i in waiting.body for i in made.ids) and "The status filter looks through 100 payments at a time" in waiting.body
    assert "No payments match" in browser.get(f"/dashboard/a/{rides}/payments?status=succeeded&customer={made.customer}").body
