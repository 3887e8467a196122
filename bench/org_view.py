"""make bench: the organization's view. DynamoDB round trips of GET /v1/organization/customers/{id}
with 1 and with 1,000 payments (goal: the same count), of the org-wide lists, and the projector's
reads and writes per event.

The first payment is a real one (API, event path, projector); the other 999 are handed to the
projector directly, as the bus would bring them (what the view reads is the same either way, and
999 confirms would only make the bench slower)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import stripe

from bench.counting import dynamodb_calls
from orgshare.ids import new_id
from orgshare.storage import dynamo

PAYMENTS = 1000


def _counted(call: Callable[[], Any]) -> tuple[Any, Counter[str]]:
    """The calls a request made (the request's server thread counts; the event path's do not)."""
    with dynamodb_calls() as calls:
        result = call()
    return result, Counter(calls)


def _own_calls(call: Callable[[], Any]) -> tuple[Any, Counter[str]]:
    """The calls this thread made: the projector run here, not the local system's scheduled work beside it."""
    calls: Counter[str] = Counter()
    me = threading.get_ident()

    def count(model: Any, **_: Any) -> None:
        if threading.get_ident() == me:
            calls[model.name] += 1

    events = dynamo.client().meta.events
    events.register("before-call.dynamodb", count)
    try:
        return call(), calls
    finally:
        events.unregister("before-call.dynamodb", count)


def _payment_event(org: str, account: str, customer: str, amount: int) -> dict[str, Any]:
    """A bus entry for one succeeded payment of `customer`, as the publisher makes it."""
    now = int(time.time() * 1000)
    pi = new_id("pi", now)
    intent = {"id": pi, "object": "payment_intent", "amount": amount, "amount_received": amount, "amount_refunded": 0, "currency": "eur",
              "customer": customer, "status": "succeeded", "created": now // 1000, "payment_method": "pm_bench", "description": None,
              "metadata": {}, "livemode": False}  # fmt: skip
    event = {"id": new_id("evt", now), "object": "event", "type": "payment_intent.succeeded", "created": now // 1000,
             "data": {"object": intent}, "context": account}  # fmt: skip
    return {"org": org, "mode": "test", "account": account, "org_copy": True, "event": event}


def _detail(calls: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))


def report(url: str, keys: dict[str, str]) -> None:
    from orgshare.domain import auth
    from orgshare.domain.organization import projection

    rides = stripe.StripeClient(keys["Rocket Rides"], base_addresses={"api": url}, max_network_retries=0)
    platform = stripe.StripeClient(keys["Rocket Platform"], base_addresses={"api": url}, max_network_retries=0)
    rides_principal = auth.authenticate(keys["Rocket Rides"])
    jenny = rides.v1.customers.create(params={"name": "Bench Jenny", "email": "bench.jenny@example.com"})
    rides.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "customer": jenny.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    path = f"/v1/organization/customers/{jenny.id}"

    def view() -> Any:
        return platform.deserialize(platform.raw_request("get", path), api_mode="V1").to_dict()

    deadline = time.monotonic() + 30
    while True:  # the event path projects the payment in the background
        try:
            if view().get("lifetime_spend", {}).get("eur", {}).get("count") == 1:
                break
        except stripe.InvalidRequestError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the projector did not project the bench payment")
        time.sleep(0.05)
    _, one = _counted(view)

    applied: list[Counter[str]] = []
    written: list[int] = []
    for n in range(PAYMENTS - 1):
        entry = _payment_event(rides_principal.org, rides_principal.account, jenny.id, 100 + n)
        count, calls = _own_calls(lambda e=entry: projection.apply(e))  # type: ignore[misc]
        applied.append(calls)
        written.append(count)
    view()  # the authorizer's cache warm again (the 999 took longer than it keeps an answer)
    answer, thousand = _counted(view)
    assert answer["lifetime_spend"]["eur"]["count"] == PAYMENTS, answer["lifetime_spend"]
    again, duplicate = _own_calls(lambda: projection.apply(entry))
    lists = [
        ("GET /v1/organization/customers?limit=10", lambda: platform.raw_request("get", "/v1/organization/customers", limit=10)),
        ("GET /v1/organization/customers?email=", lambda: platform.raw_request("get", "/v1/organization/customers", email=jenny.email)),
        ("GET /v1/organization/payment_intents?customer=", lambda: platform.raw_request(
            "get", "/v1/organization/payment_intents", customer=jenny.id)),
        ("GET /v1/organization/refunds?limit=10", lambda: platform.raw_request("get", "/v1/organization/refunds", limit=10)),
    ]  # fmt: skip

    print("\nThe organization's view (goal: the customer view's round trips do not grow with its payments)")
    print(f"  {'operation':<58}{'dynamodb':>9}  by operation")
    print(f"  {'GET /v1/organization/customers/{id}, 1 payment':<58}{sum(one.values()):>9}  {_detail(one)}")
    print(f"  {f'GET /v1/organization/customers/{{id}}, {PAYMENTS:,} payments':<58}{sum(thousand.values()):>9}  {_detail(thousand)}")
    for name, call in lists:
        _, calls = _counted(call)
        print(f"  {name:<58}{sum(calls.values()):>9}  {_detail(calls)}")
    per_event = sum(applied, Counter()) if applied else Counter()
    events = max(len(applied), 1)
    print(f"  projector, per payment event (mean of {len(applied)}): "
          + ", ".join(f"{op} {n / events:.2f}" for op, n in sorted(per_event.items()))
          + f"; items written per transaction {sum(written) / events:.1f} (payment, summary, marker; the first payment of an"
          " account also its index and link)")  # fmt: skip
    print(f"  projector, the same event again (a redelivery): {_detail(duplicate)}; items written {again}")
