"""Concurrency on the local system: requests really overlap (threads of stripe SDK clients started
together with a barrier), as they would against Lambda's concurrent containers."""

from __future__ import annotations

import json
import socket
import textwrap
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import stripe

from localrun.gateway import Function, Gateway, proxy_event, serve
from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

T = TypeVar("T")


def together(count: int, work: Callable[[int], T], timeout: float = 60.0) -> list[T | Exception]:
    """`work(i)` on `count` threads released at once; each thread's result or exception, in order."""
    barrier = threading.Barrier(count, timeout=timeout)
    results: list[T | Exception] = [TimeoutError("never ran")] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected: the test judges every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a request never returned"
    return results


def answers(results: list[T | Exception]) -> list[T]:
    return [r for r in results if not isinstance(r, Exception)]


def _error(error: Exception) -> dict[str, Any]:
    """The error object as the API sent it (the SDK sets `.code` only for some statuses, not 409)."""
    body = error.json_body if isinstance(error, stripe.StripeError) else None
    found = body.get("error") if isinstance(body, dict) else None
    return found if isinstance(found, dict) else {}


def code(error: Exception) -> str | None:
    return str(_error(error).get("code") or "") or None


def error_type(error: Exception) -> str | None:
    return str(_error(error).get("type") or "") or None


def failures_are(results: list[Any], *statuses: int) -> None:
    """What may fail under a race: an answer with one of `statuses` and a code the client can act on, nothing else."""
    for r in results:
        if isinstance(r, Exception):
            assert isinstance(r, stripe.StripeError) and r.http_status in statuses and code(r), repr(r)


def test_a_burst_of_new_connections_is_accepted(local_system: LocalSystem) -> None:
    key = local_system.accounts["Rocket Rides"].key

    def fetch(_: int) -> str:
        # A client of its own per thread: a connection of its own, opened at the same moment as the others'.
        client = stripe.StripeClient(key, base_addresses={"api": local_system.url}, max_network_retries=0)
        return str(client.v1.customers.list(params={"limit": 1}).to_dict()["object"])

    results = together(20, fetch)
    assert results == ["list"] * 20, [r for r in results if isinstance(r, Exception)]


def queued_connections(address: tuple[str, int], count: int) -> int:
    """How many of `count` new connections the listening socket at `address` takes while nothing
    accepts them (the listen backlog): once it is full, a connection attempt gets no answer."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.settimeout(1.0)  # the kernel ignores a connection it has no room for: this is the failure
            try:
                sock.connect(address)
            except OSError:
                sock.close()
                break
            opened.append(sock)
        return len(opened)
    finally:
        for sock in opened:
            sock.close()


def test_the_gateway_queues_a_burst_of_connections() -> None:
    server = serve(cast(Gateway, None))
    server.shutdown()  # nothing accepts any more; the socket still listens
    try:
        assert queued_connections(("127.0.0.1", server.server_address[1]), 40) == 40
    finally:
        server.server_close()


def _function(tmp_path: Path, **options: int) -> Function:
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import threading

            state = {"calls": 0}  # module state, as powertools resolvers and batch processors hold

            def handler(event, context):
                state["calls"] += 1
                event["barrier"].wait()  # returns only once every invocation of the batch is inside
                return {"module": id(state), "calls": state["calls"]}
            """
        )
    )
    return Function("ProbeFunction", tmp_path, "app.handler", **options)


def test_concurrent_invocations_of_one_function_run_in_separate_containers(tmp_path: Path) -> None:
    function = _function(tmp_path)
    barrier = threading.Barrier(4, timeout=10)
    results = together(4, lambda _: function.invoke({"barrier": barrier}))
    replies = answers(results)
    assert len(replies) == 4, results  # serialised invocations would break the barrier
    assert len({r["module"] for r in replies}) == 4  # a module (and its state) of its own each
    # Afterwards a warm container is reused: no new module for a lone invocation.
    again = function.invoke({"barrier": threading.Barrier(1)})
    assert again["module"] in {r["module"] for r in replies} and again["calls"] == 2


def test_containers_are_bounded(tmp_path: Path) -> None:
    function = _function(tmp_path, max_containers=2)
    barrier = threading.Barrier(2, timeout=10)
    # Four invocations, two containers: two run at once, the others wait for a container and reuse it.
    replies = answers(together(4, lambda _: function.invoke({"barrier": barrier})))
    assert len(replies) == 4 and len({r["module"] for r in replies}) == 2


def test_concurrent_invocations_each_see_their_own_event(tmp_path: Path) -> None:
    # powertools' resolvers keep the current event on a class: shared by every container of the process.
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            from aws_lambda_powertools.event_handler import APIGatewayRestResolver

            app = APIGatewayRestResolver()

            @app.get("/probe/<name>")
            def probe(name):
                app.current_event.raw_event["barrier"].wait()  # every invocation of the batch has resolved its event by now
                return {"name": name, "seen": app.current_event.path}

            def handler(event, context):
                return app.resolve(event, context)
            """
        )
    )
    function = Function("ProbeFunction", tmp_path, "app.handler")
    barrier = threading.Barrier(4, timeout=10)

    def call(i: int) -> Any:
        event = proxy_event("GET", "/probe/{name}", f"/probe/n{i}", {"name": f"n{i}"}, {}, {}, b"", {}, "dev", f"r{i}")
        return json.loads(function.invoke({**event, "barrier": barrier})["body"])

    results = together(4, call)
    assert results == [{"name": f"n{i}", "seen": f"/probe/n{i}"} for i in range(4)]


def test_the_same_idempotency_key_at_once_creates_one_object(local_system: LocalSystem) -> None:
    key, name = f"race-{uuid.uuid4()}", f"Idem {uuid.uuid4().hex[:8]}"
    client = local_system.client("Rocket Rides")

    def create(_: int) -> str:
        return str(client.v1.customers.create(params={"name": name}, options={"idempotency_key": key}).id)

    results = together(10, create)
    failures_are(results, 409)
    assert all(error_type(r) == "idempotency_error" for r in results if isinstance(r, Exception))
    assert len(set(answers(results))) == 1
    listed = client.v1.customers.list(params={"limit": 100}).data
    assert [c.id for c in listed if c.name == name] == answers(results)[:1]


def _paid(local_system: LocalSystem, amount: int) -> Any:
    intent = local_system.client("Rocket Rides").v1.payment_intents.create(
        params={"amount": amount, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
    return intent


def _stored_intent(local_system: LocalSystem, intent_id: str) -> dict[str, Any]:
    items = [i for table in local_system.table_items().values() for i in table if i.get("id", {}).get("S") == intent_id]
    return next(i for i in items if "amount_refunded" in i)


def test_concurrent_refunds_within_the_amount_all_succeed(local_system: LocalSystem) -> None:
    intent = _paid(local_system, 1000)
    client = local_system.client("Rocket Rides")
    amounts = [100, 50, 150, 100, 100, 200, 50, 100, 100, 50]  # 1000 in all

    results = together(10, lambda i: client.v1.refunds.create(params={"payment_intent": intent.id, "amount": amounts[i]}))
    assert all(not isinstance(r, Exception) and r.status == "succeeded" for r in results), results
    refunds = client.v1.refunds.list(params={"payment_intent": intent.id, "limit": 100}).data
    assert sorted(r.amount for r in refunds) == sorted(amounts)
    assert int(_stored_intent(local_system, intent.id)["amount_refunded"]["N"]) == sum(amounts)


def test_concurrent_refunds_beyond_the_amount_never_refund_more(local_system: LocalSystem) -> None:
    intent = _paid(local_system, 1000)
    client = local_system.client("Rocket Rides")

    results = together(10, lambda _: client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300}))
    failures_are(results, 400, 409)  # too much is a 400 about the amount; a lost race a 409
    refunded = sum(
        r.amount for r in client.v1.refunds.list(params={"payment_intent": intent.id, "limit": 100}).data if r.status == "succeeded"
    )
    assert refunded == 300 * len(answers(results)) <= 1000
    assert int(_stored_intent(local_system, intent.id)["amount_refunded"]["N"]) == refunded


def test_shared_fields_updated_from_two_accounts_at_once(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    cus = rides.v1.customers.create(params={"name": "Race Rae"})
    writes = [("Rocket Rides", "rides@example.com", "Rae Rides"), ("Rocket Deliveries", "deliveries@example.com", "Rae Deliveries")]
    clients = {"Rocket Rides": rides, "Rocket Deliveries": deliveries}

    def update(i: int) -> Any:
        who, email, name = writes[i % 2]
        return clients[who].v1.customers.update(cus.id, params={"email": email, "name": name})

    results = together(6, update)
    failures_are(results, 409)
    assert answers(results), results
    final = rides.v1.customers.retrieve(cus.id)
    assert (final.email, final.name) in {(email, name) for _, email, name in writes}  # one write whole, never a mix
    assert deliveries.v1.customers.retrieve(cus.id).email == final.email
    stored = next(
        i for t in local_system.table_items().values() for i in t if i.get("id", {}).get("S") == cus.id and i["sk"]["S"] == "CUSTOMER"
    )
    changed = {(r.email, r.name) for r in answers(results)}
    # Each update that answered wrote once (an update that found nothing to change writes nothing).
    assert 1 + len(changed) <= int(stored["version"]["N"]) <= 1 + len(answers(results))


def test_two_confirms_of_one_payment_intent_charge_once(local_system: LocalSystem) -> None:
    client = local_system.client("Rocket Rides")
    cus = client.v1.customers.create(params={"name": "Twice Tom"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    intent = client.v1.payment_intents.create(params={"amount": 1234, "currency": "eur", "customer": cus.id, "payment_method": card.id})

    results = together(2, lambda _: client.v1.payment_intents.confirm(intent.id))
    failures_are(results, 400, 409)  # the loser sees the intent already confirmed (400) or lost the race (409)
    assert any(not isinstance(r, Exception) and r.status == "succeeded" for r in results), results
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    usage: Any = client.deserialize(client.raw_request("get", f"/v1/payment_methods/{card.id}/usage"), api_mode="V1")
    assert [u.payment_intent for u in usage.data] == [intent.id]


def test_two_submissions_of_one_checkout_session_charge_once(local_system: LocalSystem) -> None:
    """A double click, or an attacker, submitting a session twice at once: one charge, whatever the order."""
    client = local_system.client("Rocket Rides")
    line: Any = {"price_data": {"currency": "usd", "unit_amount": 900, "product_data": {"name": "Ride"}}, "quantity": 1}
    session = client.v1.checkout.sessions.create(params={"mode": "payment", "line_items": [line], "success_url": "https://x.example"})
    card = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034"}

    def submit(_: int) -> Any:
        return client.deserialize(client.raw_request("post", f"/v1/checkout/sessions/{session.id}/confirm", **card), api_mode="V1")

    for _ in range(3):  # the race is a matter of timing: try it a few times on fresh sessions
        results = together(2, submit)
        failures_are(results, 400, 409)  # the loser lost the claim (409), or found the session complete (400)
        done = client.v1.checkout.sessions.retrieve(session.id)
        assert done.status == "complete"
        charged = [i for i in client.v1.payment_intents.list(params={"limit": 100}).data
                   if i.metadata.to_dict().get("checkout_session") == session.id and i.status == "succeeded"]  # fmt: skip
        assert [i.id for i in charged] == [done.payment_intent]
        session = client.v1.checkout.sessions.create(params={"mode": "payment", "line_items": [line], "success_url": "https://x.example"})
