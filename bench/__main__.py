"""make bench: DynamoDB round trips per API operation, cold import time against a bare
powertools+pydantic+boto3 import, and requests per second against localstripe, in one run.

Prints figures; asserts nothing about timing. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import stripe

from bench import cost, dashboard, footprint, migration, org_view, throughput
from bench.capacity import Units, dynamodb_units
from bench.counting import dynamodb_calls, kms_calls
from orgshare.params.customers import CustomerRetrieve

ROOT = Path(__file__).resolve().parent.parent
IMPORT_RUNS = 7


class Row(NamedTuple):
    name: str
    calls: Counter[str]
    kms: Counter[str]
    units: Units
    milliseconds: float


def round_trips(url: str, keys: dict[str, str], accounts: dict[str, str]) -> list[Row]:
    """DynamoDB calls per API operation with a warm authorizer cache (as API Gateway's cache
    spares the authorizer on most requests), and the authorizer's own cost on a cold key; with
    each one's capacity units and its time end to end."""
    rides = stripe.StripeClient(keys["Rocket Rides"], base_addresses={"api": url}, max_network_retries=0)
    platform = stripe.StripeClient(keys["Rocket Platform"], base_addresses={"api": url}, max_network_retries=0)
    rides.v1.customers.list(params={"limit": 1})  # warm the authorizer caches
    platform.v1.accounts.list(params={"limit": 1})
    rows: list[Row] = []

    def measure(name: str, call: Callable[[], Any]) -> Any:
        with dynamodb_calls() as calls, kms_calls() as kms, dynamodb_units() as units:
            started = time.perf_counter()
            result = call()
            took = (time.perf_counter() - started) * 1000
        rows.append(Row(name, calls, kms, units, took))
        return result

    from orgshare.vault import keyed_hash

    keyed_hash.forget_keys()  # as in a new container: the idempotency fingerprint's key is derived on first use
    measure("POST /v1/customers (new container: derives its keyed-hash key)", lambda: rides.v1.customers.create(params={"name": "Cold"}))
    cus = measure("POST /v1/customers", lambda: rides.v1.customers.create(params={"name": "Bench", "metadata": {"a": "1"}}))
    measure("GET /v1/customers/{id}", lambda: rides.v1.customers.retrieve(cus.id))
    measure("POST /v1/customers/{id} (shared field)", lambda: rides.v1.customers.update(cus.id, params={"email": "b@example.com"}))
    measure("POST /v1/customers/{id} (metadata)", lambda: rides.v1.customers.update(cus.id, params={"metadata": {"b": "2"}}))
    measure("GET /v1/customers?limit=10", lambda: rides.v1.customers.list(params={"limit": 10}))
    measure("GET /v1/customers?email=", lambda: rides.v1.customers.list(params={"email": "b@example.com"}))
    measure("GET /v1/customers/search (one clause)", lambda: rides.v1.customers.search(params={"query": 'name~"bench"'}))
    both = 'email:"b@example.com" AND metadata["a"]:"1"'
    measure("GET /v1/customers/search (AND of two)", lambda: rides.v1.customers.search(params={"query": both}))
    card: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    bank: Any = {"account_number": "000123456789", "routing_number": "110000000"}
    pm = measure("POST /v1/payment_methods (card)", lambda: rides.v1.payment_methods.create(params={"type": "card", "card": card}))
    measure("POST /v1/payment_methods/{id}/attach", lambda: rides.v1.payment_methods.attach(pm.id, params={"customer": cus.id}))
    own: Any = {"type": "us_bank_account", "us_bank_account": bank, "billing_details": {"name": "B"}}
    ba = measure("POST /v1/payment_methods (us_bank_account)", lambda: rides.v1.payment_methods.create(params=own))
    rides.v1.payment_methods.attach(ba.id, params={"customer": cus.id})
    measure("GET /v1/payment_methods/{id}", lambda: rides.v1.payment_methods.retrieve(pm.id))
    measure("GET /v1/customers/{id}/payment_methods (cards + own)", lambda: rides.v1.customers.payment_methods.list(cus.id))
    measure(
        "GET /v1/customers/{id}/payment_methods?type=card", lambda: rides.v1.customers.payment_methods.list(cus.id, params={"type": "card"})
    )
    measure("POST /v1/payment_methods/{id} (exp)", lambda: rides.v1.payment_methods.update(pm.id, params={"card": {"exp_year": 2035}}))
    measure(
        "POST /v1/customers/{id} (default_payment_method)",
        lambda: rides.v1.customers.update(cus.id, params={"invoice_settings": {"default_payment_method": pm.id}}),
    )
    unconfirmed = rides.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", "customer": cus.id, "payment_method": pm.id})
    measure(
        "POST /v1/payment_intents/{id}/confirm (test connector)",
        lambda: rides.v1.payment_intents.confirm(unconfirmed.id),
    )
    paid: Any = {"amount": 1000, "currency": "eur", "customer": cus.id, "payment_method": pm.id, "confirm": True}
    intent = measure("POST /v1/payment_intents (confirm=true)", lambda: rides.v1.payment_intents.create(params=paid))
    measure("POST /v1/refunds (partial)", lambda: rides.v1.refunds.create(params={"payment_intent": intent.id, "amount": 100}))
    measure("GET /v1/payment_intents/{id}", lambda: rides.v1.payment_intents.retrieve(intent.id))
    line: Any = {"price_data": {"currency": "usd", "unit_amount": 7500, "product_data": {"name": "Ride"}}, "quantity": 1}
    session: Any = {"mode": "payment", "line_items": [line], "customer": cus.id, "success_url": "https://rides.example/ok",
                    "saved_payment_method_options": {"payment_method_save": "enabled"}}  # fmt: skip
    opened = measure("POST /v1/checkout/sessions", lambda: rides.v1.checkout.sessions.create(params=session))
    fields = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "save_payment_method": "true"}
    measure(
        "POST /v1/checkout/sessions/{id}/confirm (new card, saved)",
        lambda: rides.raw_request("post", f"/v1/checkout/sessions/{opened.id}/confirm", **fields),
    )
    measure("POST /v1/payment_methods/{id}/detach", lambda: rides.v1.payment_methods.detach(ba.id))
    measure("DELETE /v1/customers/{id}", lambda: rides.v1.customers.delete(cus.id))
    measure("POST /v1/accounts", lambda: platform.v1.accounts.create(params={"type": "standard"}))
    hook: Any = {"url": f"{url}/hooks", "enabled_events": ["customer.created"]}  # loopback: the local system allows it in test mode
    rides.v1.webhook_endpoints.create(params=hook)  # the organization's first makes its webhook keyring
    measure("POST /v1/webhook_endpoints", lambda: rides.v1.webhook_endpoints.create(params=hook))
    measure("GET /v1/accounts/{id}", lambda: platform.v1.accounts.retrieve(accounts["Rocket Rides"]))
    measure(
        "GET /v1/customers (as Stripe-Account, cold cache)",
        lambda: platform.v1.customers.list(options={"stripe_account": accounts["Rocket Deliveries"]}),
    )
    fresh = stripe.StripeClient(keys["Rocket Deliveries"], base_addresses={"api": url}, max_network_retries=0)
    measure("authorizer, first use of a key (+ GET /v1/customers/{id})", lambda: fresh.v1.customers.retrieve(cus.id))
    return rows


# The operations the cost model prices: the ones a business runs by the million.
COSTED = (
    "POST /v1/customers",
    "GET /v1/customers/{id}",
    "POST /v1/customers/{id} (shared field)",
    "GET /v1/customers?limit=10",
    "GET /v1/customers/search (one clause)",
    "POST /v1/payment_methods (card)",
    "POST /v1/payment_methods/{id}/attach",
    "POST /v1/payment_intents (confirm=true)",
    "POST /v1/refunds (partial)",
    "GET /v1/payment_intents/{id}",
    "POST /v1/checkout/sessions",
    "POST /v1/checkout/sessions/{id}/confirm (new card, saved)",
)


def costed(rows: list[Row]) -> list[cost.Operation]:
    from localrun import template as tpl

    memory = int(tpl.load()["Globals"]["Function"]["MemorySize"])  # every API function runs at the default
    by_name = {row.name: row for row in rows}
    return [
        cost.Operation(name, by_name[name].units, sum(by_name[name].kms.values()), by_name[name].milliseconds, memory,
                       change=name.startswith("POST") and "payment_methods (card)" not in name)
        for name in COSTED
    ]  # fmt: skip


def put_events_per_shared_update(keys: dict[str, str], demo: Any, extra_accounts: int) -> tuple[int, int]:
    """(accounts in the pool, PutEvents calls) for publishing one shared-field update."""
    from orgshare import admin, messaging
    from orgshare.domain import accounts, auth, customers, events
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.accounts import AccountCreate
    from orgshare.params.customers import CustomerCreate, CustomerUpdate
    from orgshare.storage import directory
    from orgshare.storage.keys import ORG_OWNER  # noqa: F401 - the organization's copy is not a PutEvents entry

    platform = admin.platform_principal(demo.org, demo.accounts[0].id, demo.pool, "test")
    for n in range(extra_accounts):
        accounts.create_account(platform, AccountCreate.model_validate({"type": "connected", "business_profile": {"name": f"Bench {n}"}}))
    rides = auth.authenticate(keys["Rocket Rides"])
    cus = customers.create(rides, CustomerCreate(name="Fan Out"), RequestInfo("req_bench"))
    customers.update(rides, cus["id"], CustomerUpdate(email="fan@example.com"), RequestInfo("req_bench"))
    change = {
        "id": "chg_" + cus["id"].removeprefix("cus_"), "type": "customer.updated", "org": demo.org, "pool": demo.pool, "mode": "test",
        "account": rides.account, "audience": "pool", "object": customers.retrieve(rides, cus["id"], CustomerRetrieve()),
        "previous_attributes": {"email": None}, "request": {"id": "req_bench", "idempotency_key": None}, "created": int(time.time()),
    }  # fmt: skip
    calls: list[int] = []
    me = threading.get_ident()  # the local system's own publisher shares the client: count this thread's calls only

    def count(params: dict[str, Any], **_: Any) -> None:
        if threading.get_ident() == me:
            calls.append(len(params["Entries"]))

    messaging.eventbridge().meta.events.register("provide-client-params.events.PutEvents", count)
    events.publish(change)
    return len(directory.pool_members(demo.org, demo.pool)), len(calls)


# The endpoints, in a process of their own: a receiver elsewhere costs the dispatcher no CPU.
_RECEIVER = """
import sys
from localrun.receiver import Behaviour, Receiver
receiver = Receiver().start()
receiver.behaviours.update({f"/e{n}": Behaviour(delay=float(sys.argv[2])) for n in range(int(sys.argv[1]))})
print(receiver.url, flush=True)
sys.stdin.read()  # until the bench closes its end
"""


def fan_out_seconds(system: Any, demo: Any, endpoints: int, latency: float) -> tuple[float, float]:
    """Wall time for the dispatcher to deliver one event to `endpoints` endpoints of one
    organization that each take `latency` seconds, with a cold and then a warm container (signing
    secrets cached), each after the local event path has handed on everything before it."""
    from orgshare.domain import delivery, webhook_secrets
    from orgshare.ids import new_id

    receiver = subprocess.Popen([sys.executable, "-c", _RECEIVER, str(endpoints), str(latency)], cwd=ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    assert receiver.stdout is not None and receiver.stdin is not None
    url = receiver.stdout.readline().strip()
    owner = demo.accounts[1].id
    targets = []
    for n in range(endpoints):
        endpoint_id = new_id("we")
        secret = webhook_secrets.seal(demo.org, "test", endpoint_id, "whsec_bench")
        targets.append({"id": endpoint_id, "org": demo.org, "mode": "test", "owner": owner, "url": f"{url}/e{n}",
                        "enabled_events": ["*"], "status": "enabled", "secret": secret})  # fmt: skip
    event = {"id": new_id("evt"), "object": "event", "type": "customer.updated", "data": {"object": {}}, "context": owner}
    webhook_secrets.forget()  # as in a new container
    timings = []
    for _ in range(2):
        system.wait_quiet()
        started = time.perf_counter()
        attempts = delivery.run([delivery.Delivery(event, t, owner, 9) for t in targets])  # attempt 9: no retries scheduled
        timings.append(time.perf_counter() - started)
        failed = [a for a in attempts if a["status"] != "succeeded"]
        if failed:
            raise RuntimeError(f"{len(failed)} deliveries failed: {failed[0]}")
    receiver.stdin.close()
    receiver.wait(timeout=10)
    return timings[0], timings[1]


def fingerprint_microseconds(rounds: int = 2000) -> tuple[float, float]:
    """CPU time of one idempotency fingerprint of a card payment's parameters (key already derived),
    and of the unkeyed MD5 of the same request that powertools would store by default."""
    import hashlib
    import json

    from orgshare.api.idempotency import fingerprint

    card = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2034"}
    params = {"amount": "1000", "currency": "eur", "confirm": "true", "payment_method_data": {"type": "card", "card": card}}
    request = {"method": "POST", "path": "/v1/payment_intents", "params": params}
    timings = []
    for digest in (fingerprint, lambda r: hashlib.md5(json.dumps(r, sort_keys=True).encode(), usedforsecurity=False).hexdigest()):
        digest(request)
        started = time.perf_counter()
        for _ in range(rounds):
            digest(request)
        timings.append((time.perf_counter() - started) / rounds * 1e6)
    return timings[0], timings[1]


def cold_import_seconds(statement: str, function: str = "customers") -> float:
    """Median wall time of `statement` in a fresh interpreter (bytecode already compiled), with
    `function`'s folder and the layer on the path, as in Lambda."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {"PYTHONPATH": f"{ROOT / 'functions' / function}:{ROOT / 'layers' / 'orgshare'}", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", statement], check=True, env=env, capture_output=True)  # warm the caches
    times = [
        float(subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True).stdout)
        for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(times)


def confirms_per_second(url: str, key: str, rounds: int = 100) -> float:
    """End to end through the SDK: create-and-confirm payment intents on a saved card (the demo's
    test connector), one client, one after the other."""
    client = stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0)
    card: Any = {"type": "card", "card": {"token": "tok_visa"}}
    method = client.v1.payment_methods.create(params=card)
    params: Any = {"amount": 1000, "currency": "eur", "payment_method": method.id, "confirm": True}
    started = time.perf_counter()
    for _ in range(rounds):
        assert client.v1.payment_intents.create(params=params).status == "succeeded"
    return rounds / (time.perf_counter() - started)


def main() -> None:
    import logging

    from localrun.__main__ import run_system
    from orgshare import admin

    logging.disable(logging.WARNING)
    # First, in processes of its own (see bench/migration.py), before the local system's threads start.
    migrated = migration.measure()
    system = run_system(0)
    server = system.server
    url = f"http://127.0.0.1:{server.server_address[1]}"
    demo = admin.seed_demo()
    keys = {a.name: a.key for a in demo.accounts}
    os.environ["WEBHOOK_TIMEOUT_SECONDS"] = "5"
    ids = {a.name: a.id for a in demo.accounts}

    print("DynamoDB and KMS round trips per API operation (authorizer cache warm unless said; goal: reads 1, writes 1)")
    print(f"  {'operation':<58}{'dynamodb':>9}{'kms':>5}  by operation")
    rows = round_trips(url, keys, ids)
    for row in rows:
        detail = ", ".join(f"{op} {n}" for op, n in sorted((row.calls + row.kms).items()))
        print(f"  {row.name:<58}{sum(row.calls.values()):>9}{sum(row.kms.values()):>5}  {detail}")
    print("  (customer and payment method writes record their Idempotency-Key in their own transaction; the other POSTs")
    print("   claim it first (PutItem), and a confirm's or refund's last transaction completes the claim, the others'")
    print("   an UpdateItem; the customer's payment methods are two key ranges of its partition, read concurrently)")
    operations = costed(rows)
    print("\n" + "\n".join(cost.report(operations) + cost.monthly_report(operations)))
    org_view.report(url, keys)  # the organization's view: its round trips with 1 and 1,000 payments, the projector's per event
    print("\n".join(dashboard.report(dashboard.measure())))  # the customer page: render time (cold, warm), round trips

    keyed, unkeyed = fingerprint_microseconds()
    print("  the keyed idempotency fingerprint (HMAC-SHA-256 of the canonical request; its key derived by KMS GenerateMac")
    print(f"  once per container, the row above): {keyed:.0f} us of CPU per write and no round trip, against {unkeyed:.0f} us")
    print("  for the unkeyed MD5 powertools stores by default (which gave card numbers back to anyone with the table)")

    # The peer: the smallest powertools REST handler with the same utilities, instantiated as any
    # handler must (Tracer() is what imports the X-Ray SDK), plus boto3 and pydantic.
    pool, put_calls = put_events_per_shared_update(keys, demo, extra_accounts=24)
    print(f"\nPutEvents calls for one shared update across {pool} accounts: {put_calls} (goal <= ceil(N/10) = {-(-pool // 10)})")

    one_cold, one_warm = fan_out_seconds(system, demo, endpoints=1, latency=0.2)
    cold, warm = fan_out_seconds(system, demo, endpoints=100, latency=0.2)
    print("Fan-out of one event to 100 local endpoints that each take 200 ms, in a process of their own, against one such")
    print("endpoint (goal <= 2x, cold and warm)")
    print(f"  cold dispatcher (signing secrets opened): one {one_cold:5.2f} s, 100 {cold:5.2f} s = {cold / one_cold:4.1f}x")
    print(f"  warm dispatcher (secrets cached):         one {one_warm:5.2f} s, 100 {warm:5.2f} s = {warm / one_warm:4.1f}x")

    baseline = (
        "import boto3, pydantic; from aws_lambda_powertools import Logger, Metrics, Tracer; "
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
        "from aws_lambda_powertools.utilities.idempotency import idempotent_function; "
        "Logger(); Tracer(); Metrics(); APIGatewayRestResolver(enable_validation=True)"
    )
    bare = cold_import_seconds("import aws_lambda_powertools, pydantic, boto3")
    base_s = cold_import_seconds(baseline)
    print(f"\nCold import (median of {IMPORT_RUNS}; goal: each API handler <= 1.3x the bare import)")
    print(f"  bare: import aws_lambda_powertools, pydantic, boto3 : {bare * 1000:7.1f} ms")
    print(f"  powertools handler + boto3 (Logger, Tracer, Metrics, resolver, idempotency): {base_s * 1000:7.1f} ms = {base_s / bare:.2f}x")
    for function in ("customers", "payments", "authorizer"):
        ours_s = cold_import_seconds("import app", function)
        print(
            f"  {function} handler (app.py){'':<24}: {ours_s * 1000:7.1f} ms = {ours_s / bare:.2f}x bare, {ours_s / base_s:.2f}x powertools"
        )

    # Throughput on a fresh demo organization (5 accounts), not the 27-account pool built above.
    fresh = {a.name: a.key for a in admin.seed_demo().accounts}
    rate = confirms_per_second(url, fresh["Rocket Rides"])
    print(f"\nPayment confirms per second, stripe SDK, one client (create with confirm=true): {rate:.1f}")
    print("  (end to end on the local system, the event path running beside it in the same process; each confirm is")
    print("   one DynamoDB transaction plus the test connector's call, see the round trips above)")

    system.stop()  # the pollers first: with moto gone, their next call would leave 127.0.0.1

    # Servers and clients in processes of their own, once this process's local system has stopped.
    print("\n" + "\n".join(throughput.report(throughput.measure())))
    print("\n" + "\n".join(footprint.report(footprint.measure())))

    print(migration.heading(migrated))
    for line in migration.report(migrated):
        print(line)


if __name__ == "__main__":
    main()
