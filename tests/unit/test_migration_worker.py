"""The migration worker in-process over moto: a sharing enablement moves a standard account's
customers into the shared pool with their ids, fields and cards; a worker stopped at any point
of any step and started again ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orgshare import admin, messaging
from orgshare.domain import auth, customers, payment_methods
from orgshare.domain.migration import worker
from orgshare.domain.organization import enablements
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import InvalidRequest
from orgshare.params.customers import CustomerCreate, CustomerList, CustomerRetrieve
from orgshare.params.organization import SharingEnablementCreate
from orgshare.params.payment_methods import CardInput, CustomerPaymentMethodList, PaymentMethodAttach, PaymentMethodCreate
from orgshare.settings import get_settings

REQ = RequestInfo("req_test")


class Crash(BaseException):
    """A worker dying mid-step (not an Exception: nothing in the worker catches it)."""


@dataclass
class Org:
    platform: Principal
    rentals: Principal
    repairs: Principal
    rides: Principal


@pytest.fixture
def org(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    # No caches to wait out: the accounts switch the moment sharing is enabled; small batches. A
    # message the queue hands over again comes back at once here (SQS: after its visibility
    # timeout), so a step that lost its successor counts as stalled at once.
    for name, value in {"AUTHORIZER_CACHE_SECONDS": "0", "ACCOUNT_CACHE_SECONDS": "0", "SHARING_SWITCH_MARGIN_SECONDS": "0",
                        "MIGRATION_BATCH_SIZE": "3", "MIGRATION_RETRY_SECONDS": "0", "MIGRATION_STALL_SECONDS": "0"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    messaging.sqs.cache_clear()
    auth._account_cache.clear()
    demo = admin.seed_demo()
    keys = {a.name: a.key for a in demo.accounts}
    yield Org(*(auth.authenticate(keys[n]) for n in ("Rocket Platform", "Rocket Rentals", "Rocket Repairs", "Rocket Rides")))
    auth._account_cache.clear()
    messaging.sqs.cache_clear()


def _customer(who: Principal, n: int, cards: int = 1) -> dict[str, Any]:
    params = CustomerCreate.model_validate({"email": f"c{n}@example.com", "name": f"Customer {n}", "metadata": {"n": str(n)}})
    created = customers.create(who, params, REQ)
    for _ in range(cards):
        pm = payment_methods.create(who, PaymentMethodCreate(type="card", card=CardInput(token="tok_visa")), REQ)
        payment_methods.attach(who, pm["id"], PaymentMethodAttach(customer=created["id"]), REQ)
    return created


def _drain(limit: int = 500) -> int:
    """Runs the worker on every message the migration queue holds, until it is empty."""
    sqs, url = messaging.sqs(), get_settings().migration_queue_url
    handled = 0
    while handled < limit:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
        if not got:
            return handled
        worker.handle(json.loads(got[0]["Body"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
        handled += 1
    raise AssertionError("the migration never finished")


def _enable(org: Org, *accounts: Principal) -> dict[str, Any]:
    params = SharingEnablementCreate(accounts=[a.account for a in accounts], consent_collected=True)
    return enablements.create(org.platform, params, REQ)


def _reauth(who: Principal) -> Principal:
    """The principal a new request of this account gets (its key's answer, not cached)."""
    auth._account_cache.clear()
    record = auth.cached_account(who.org, who.account, 0)
    assert record is not None
    from orgshare.domain.principal import joining

    return Principal(org=who.org, account=who.account, kind=who.kind, pool=str(record["pool"]), mode=who.mode,
                     key_id=who.key_id, key_account=who.key_account, **joining(record, who.mode)).resolved()  # fmt: skip


def _snapshot(org: Org) -> dict[str, Any]:
    """What the pool's accounts see: every customer, as each account shows it, with its cards."""
    seen: dict[str, Any] = {}
    for who in (org.platform, _reauth(org.rentals), org.rides):
        listed = customers.list_customers(who, CustomerList(limit=100), "/v1/customers")["data"]
        for c in listed:
            cards = payment_methods.list_for_customer(who, c["id"], CustomerPaymentMethodList(limit=100), "")["data"]
            seen[f"{who.account}:{c['id']}"] = (c, sorted(card["id"] for card in cards))
    return seen


def test_enabling_sharing_moves_every_customer_with_its_cards_and_per_account_fields(org: Org) -> None:
    mine = [_customer(org.rentals, n) for n in range(7)]
    theirs = _customer(org.rides, 100)
    enablement = _enable(org, org.rentals)
    assert enablement["status"] == "pending" and enablement["accounts"] == [org.rentals.account]
    _drain()

    done = enablements.retrieve(org.platform, enablement["id"])
    assert done["status"] == "succeeded" and done["completed_at"]
    assert done["progress"] == {"customers_total": 7, "customers_moved": 7, "cards_moved": 7, "other_payment_methods_moved": 0,
                                "customers_remaining": 0}  # fmt: skip
    rentals = _reauth(org.rentals)
    assert rentals.pool == org.platform.pool and not rentals.migrating
    for c in mine:
        # The pool sees the customer with the same id and shared fields; metadata stays with Rentals.
        as_rides = customers.retrieve(org.rides, c["id"], CustomerRetrieve())
        as_rentals = customers.retrieve(rentals, c["id"], CustomerRetrieve())
        assert as_rides["email"] == c["email"] and as_rides["metadata"] == {}
        assert as_rentals["metadata"] == c["metadata"]
        cards = payment_methods.list_for_customer(org.rides, c["id"], CustomerPaymentMethodList(), "")["data"]
        assert len(cards) == 1 and cards[0]["customer"] == c["id"]
    ids = {c["id"] for c in customers.list_customers(rentals, CustomerList(limit=100), "")["data"]}
    assert ids == {c["id"] for c in mine} | {theirs["id"]}


def test_sharing_cannot_be_enabled_twice_or_without_consent(org: Org) -> None:
    with pytest.raises(InvalidRequest) as missing:
        enablements.create(org.platform, SharingEnablementCreate(accounts=[org.rentals.account]), REQ)
    assert missing.value.code == "consent_required" and "consent" in str(missing.value)
    _enable(org, org.rentals)
    with pytest.raises(InvalidRequest) as twice:
        _enable(org, org.rentals)
    assert twice.value.code == "account_already_shares"


POINTS = ("read", "counted", "listed", "moved", "duplicates", "checkpointed", "queued")


@pytest.mark.parametrize("point", POINTS)
def test_a_worker_killed_at_any_point_of_a_step_ends_as_an_uninterrupted_run(org: Org, point: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    mine = [_customer(org.rentals, n, cards=n % 3) for n in range(5)]  # two batches of three
    _enable(org, org.rentals)
    sqs, url = messaging.sqs(), get_settings().migration_queue_url
    kills = 0
    # Every step dies once at `point` (the first time it gets there); SQS hands the message over again.
    seen: set[str] = set()
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
        if not got:
            break
        body = got[0]["Body"]

        def stop_at(name: str, body: str = body) -> None:
            if name == point and body not in seen:
                seen.add(body)
                raise Crash

        monkeypatch.setattr(worker, "step_point", stop_at)
        try:
            worker.handle(json.loads(body))
        except Crash:
            kills += 1
            continue  # not deleted: the queue hands it over again
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert kills > 0
    rentals = _reauth(org.rentals)
    listed = customers.list_customers(rentals, CustomerList(limit=100), "")["data"]
    assert sorted(c["id"] for c in listed) == sorted(c["id"] for c in mine)
    state = enablements.retrieve(org.platform, _only_enablement(org))
    assert state["status"] == "succeeded"
    assert state["progress"]["customers_moved"] == 5 and state["progress"]["cards_moved"] == sum(n % 3 for n in range(5))
    for c in mine:
        cards = payment_methods.list_for_customer(org.rides, c["id"], CustomerPaymentMethodList(), "")["data"]
        assert len(cards) == int(c["metadata"]["n"]) % 3


def _only_enablement(org: Org) -> str:
    from orgshare.params.organization import SharingEnablementList

    return str(enablements.list_enablements(org.platform, SharingEnablementList(), "")["data"][0]["id"])


@pytest.mark.parametrize("kill_at", range(1, 10))
def test_a_worker_killed_at_any_write_of_a_batch_loses_and_duplicates_nothing(org: Org, kill_at: int,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The run has 9 move transactions; each case kills the worker once, at one of them."""
    from orgshare.domain.migration import moves as moves_module
    from orgshare.storage import migration as migration_store

    mine = [_customer(org.rentals, n, cards=1 + n % 2) for n in range(6)]
    # Small transactions: one customer each, and those with two cards split in two (shared item last).
    monkeypatch.setattr(moves_module, "MAX_WRITES", 8)
    _enable(org, org.rentals)
    real_move = migration_store.move
    moves = {"n": 0}

    def dying_move(writes: list[dict[str, Any]]) -> None:
        moves["n"] += 1
        if moves["n"] == kill_at:
            raise Crash
        real_move(writes)

    monkeypatch.setattr(migration_store, "move", dying_move)
    sqs, url = messaging.sqs(), get_settings().migration_queue_url
    kills = 0
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", []):
        try:
            worker.handle(json.loads(got[0]["Body"]))
        except Crash:
            kills += 1
            continue  # not deleted: the queue hands it over again
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert kills == 1
    state = enablements.retrieve(org.platform, _only_enablement(org))
    assert state["status"] == "succeeded"
    assert state["progress"]["customers_moved"] == 6 and state["progress"]["cards_moved"] == sum(1 + n % 2 for n in range(6))
    rentals = _reauth(org.rentals)
    assert sorted(c["id"] for c in customers.list_customers(rentals, CustomerList(limit=100), "")["data"]) == sorted(c["id"] for c in mine)
    for c in mine:
        cards = payment_methods.list_for_customer(org.rides, c["id"], CustomerPaymentMethodList(), "")["data"]
        assert len(cards) == 1 + int(c["metadata"]["n"]) % 2


def test_a_batch_that_keeps_failing_is_retried_then_reported_and_a_retry_resumes_it(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    from orgshare.storage import migration as migration_store

    mine = [_customer(org.rentals, n) for n in range(5)]
    enablement = _enable(org, org.rentals)
    real_move = migration_store.move

    def broken(writes: list[dict[str, Any]]) -> None:
        raise RuntimeError("DynamoDB is having a day")

    monkeypatch.setattr(migration_store, "move", broken)
    _drain()
    failed = enablements.retrieve(org.platform, enablement["id"])
    assert failed["status"] == "failed" and failed["failure"]["code"] == "batch_failed"
    assert f"{get_settings().migration_attempts} times" in failed["failure"]["message"]
    assert failed["progress"]["customers_moved"] == 0
    # Still usable meanwhile: a customer not moved yet is moved when Rentals touches it.
    rentals = _reauth(org.rentals)
    monkeypatch.setattr(migration_store, "move", real_move)
    assert customers.retrieve(rentals, mine[0]["id"], CustomerRetrieve())["metadata"] == {"n": "0"}
    resumed = enablements.retry(org.platform, enablement["id"], REQ)
    assert resumed["status"] == "in_progress" and resumed["failure"] is None
    _drain()
    done = enablements.retrieve(org.platform, enablement["id"])
    assert done["status"] == "succeeded" and done["progress"]["customers_moved"] == 5
    assert {c["id"] for c in customers.list_customers(org.rides, CustomerList(limit=100), "")["data"]} >= {c["id"] for c in mine}


def test_customers_with_the_same_email_stay_two_and_are_reported(org: Org) -> None:
    from orgshare.params.organization import SharingDuplicateList

    theirs = customers.create(org.rides, CustomerCreate.model_validate({"email": "jenny@example.com"}), REQ)
    mine = customers.create(org.rentals, CustomerCreate.model_validate({"email": "jenny@example.com", "name": "Jenny R"}), REQ)
    _customer(org.rentals, 1)
    enablement = _enable(org, org.rentals)
    _drain()
    found = enablements.duplicates(org.platform, enablement["id"], SharingDuplicateList(), "")["data"]
    assert [{k: v for k, v in d.items() if k != "id"} for d in found] == [
        {"object": "sharing_duplicate", "email": "jenny@example.com", "customers": sorted([theirs["id"], mine["id"]])}
    ]
    assert found[0]["id"].startswith("dup_")
    assert customers.retrieve(org.rides, mine["id"], CustomerRetrieve())["name"] == "Jenny R"
    assert customers.retrieve(org.rides, theirs["id"], CustomerRetrieve())["name"] is None


def test_the_pool_hears_of_its_new_customers_a_batch_an_event(org: Org) -> None:
    from orgshare.domain import events
    from orgshare.storage import outbox

    mine = [_customer(org.rentals, n, cards=0) for n in range(7)]  # batches of 3: three progress events
    _enable(org, org.rentals)
    _drain()
    table = get_settings().events_table
    import boto3

    items = boto3.client("dynamodb").scan(TableName=table)["Items"]  # the outbox (a test may scan)
    changes = [c for c in (outbox.change_from_stream(i) for i in items) if c and c["type"].startswith("sharing_enablement.")]
    kinds = sorted(c["type"] for c in changes)
    assert kinds == ["sharing_enablement.created", *["sharing_enablement.progress"] * 3, "sharing_enablement.succeeded"]
    batches = [c["object"]["latest_batch"]["customers"] for c in changes if c["type"] == "sharing_enablement.progress"]
    assert sorted(cus for batch in batches for cus in batch) == sorted(c["id"] for c in mine)
    progress = next(c for c in changes if c["type"] == "sharing_enablement.progress")
    audience = {account for account, _event in events.events_for_change(progress)}
    assert audience == {org.platform.account, org.rentals.account, org.rides.account, _eats(org)}
    created = next(c for c in changes if c["type"] == "sharing_enablement.created")
    assert [a for a, _e in events.events_for_change(created)] == [org.platform.account]


def _eats(org: Org) -> str:
    from orgshare.storage import directory

    members = directory.pool_members(org.platform.org, org.platform.pool)
    return next(a for a in members if a not in (org.platform.account, org.rentals.account, org.rides.account))


def test_between_the_switch_and_the_move_the_account_sees_all_its_customers_and_the_pool_the_moved(org: Org) -> None:
    from orgshare.errors import ResourceMissing

    mine = [_customer(org.rentals, n, cards=0) for n in range(4)]
    _enable(org, org.rentals)  # switched at once (no caches here); the worker has not run
    rentals = _reauth(org.rentals)
    assert rentals.pool == org.platform.pool and rentals.migrating
    listed = customers.list_customers(rentals, CustomerList(limit=100), "")["data"]
    assert {c["id"] for c in mine} <= {c["id"] for c in listed}
    assert all(c["metadata"] == {"n": c["metadata"]["n"]} for c in listed if c["id"] in {m["id"] for m in mine})
    with pytest.raises(ResourceMissing):
        customers.retrieve(org.rides, mine[0]["id"], CustomerRetrieve())  # not moved yet: not the pool's
    assert customers.retrieve(rentals, mine[0]["id"], CustomerRetrieve())["id"] == mine[0]["id"]  # Rentals touched it: moved
    assert customers.retrieve(org.rides, mine[0]["id"], CustomerRetrieve())["metadata"] == {}
    listed_again = customers.list_customers(rentals, CustomerList(limit=100), "")["data"]
    assert sorted(c["id"] for c in listed_again) == sorted(c["id"] for c in listed)  # once each, moved or not


def test_two_accounts_in_one_enablement_and_customers_their_requests_moved_first_are_counted_once(org: Org) -> None:
    rentals_customers = [_customer(org.rentals, n) for n in range(4)]
    repairs_customers = [_customer(org.repairs, 10 + n, cards=2) for n in range(3)]
    enablement = _enable(org, org.rentals, org.repairs)
    rentals = _reauth(org.rentals)
    customers.retrieve(rentals, rentals_customers[1]["id"], CustomerRetrieve())  # moved by Rentals' own request, before the worker
    _drain()
    done = enablements.retrieve(org.platform, enablement["id"])
    assert done["status"] == "succeeded"
    assert done["progress"] == {"customers_total": 7, "customers_moved": 7, "cards_moved": 4 + 6, "other_payment_methods_moved": 0,
                                "customers_remaining": 0}  # fmt: skip
    pool = {c["id"] for c in customers.list_customers(org.rides, CustomerList(limit=100), "")["data"]}
    assert pool >= {c["id"] for c in rentals_customers + repairs_customers}
    assert not _reauth(org.repairs).migrating and _reauth(org.repairs).pool == org.platform.pool


@pytest.mark.parametrize("point", ["moved", "duplicates"])
def test_a_batch_done_again_after_dying_announces_the_same_customers_once(org: Org, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = [_customer(org.rentals, n, cards=0) for n in range(7)]
    _enable(org, org.rentals)
    died: set[int] = set()

    def stop_once(name: str) -> None:
        current = len(died)
        if name == point and current < 2:  # the first two batches each die once
            died.add(current)
            raise Crash

    monkeypatch.setattr(worker, "step_point", stop_once)
    sqs, url = messaging.sqs(), get_settings().migration_queue_url
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", []):
        try:
            worker.handle(json.loads(got[0]["Body"]))
        except Crash:
            continue
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    announced = [cus for change in _changes("sharing_enablement.progress") for cus in change["object"]["latest_batch"]["customers"]]
    assert sorted(announced) == sorted(c["id"] for c in mine)  # each once, none lost


def test_customers_the_account_s_own_requests_moved_are_announced_too(org: Org) -> None:
    mine = [_customer(org.rentals, n, cards=0) for n in range(5)]
    _enable(org, org.rentals)
    rentals = _reauth(org.rentals)
    customers.retrieve(rentals, mine[4]["id"], CustomerRetrieve())  # moved by this request, before any batch
    _drain()
    announced = [cus for change in _changes("sharing_enablement.progress") for cus in change["object"]["latest_batch"]["customers"]]
    assert sorted(announced) == sorted(c["id"] for c in mine)
    assert all("consent" not in change["object"] for change in _changes("sharing_enablement.progress"))  # the platform's business


def test_the_moving_waits_until_no_request_begun_before_the_switch_can_be_running(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARING_SWITCH_MARGIN_SECONDS", "30")
    get_settings.cache_clear()
    _customer(org.rentals, 1)
    enablement = _enable(org, org.rentals)
    assert enablement["switches_at"] >= enablement["created"] + 30
    from orgshare.storage import enablements as enablements_store

    stored = enablements_store.get(org.platform.org, "test", enablement["id"])
    assert stored is not None and worker.starts_at(stored) == enablement["switches_at"] + 30
    worker.handle(worker.start_message(org.platform.org, "test", enablement["id"]))  # the first step, early
    queue = messaging.sqs().get_queue_attributes(QueueUrl=get_settings().migration_queue_url, AttributeNames=["All"])["Attributes"]
    assert int(queue["ApproximateNumberOfMessagesDelayed"]) == 2  # put back for later (beside create's own, delayed too)
    state = enablements.retrieve(org.platform, enablement["id"])
    assert state["status"] == "pending" and state["progress"]["customers_moved"] == 0


def test_a_request_that_began_before_the_switch_finds_a_moved_customer_gone_not_garbled(org: Org) -> None:
    from orgshare.errors import ResourceMissing

    cus = _customer(org.rentals, 1)
    before = org.rentals  # resolved before the enablement: it still names the old pool
    _enable(org, org.rentals)
    _drain()
    with pytest.raises(ResourceMissing):
        customers.retrieve(before, cus["id"], CustomerRetrieve())
    assert customers.retrieve(_reauth(org.rentals), cus["id"], CustomerRetrieve())["email"] == cus["email"]


def test_a_running_enablement_is_not_retried_beside_itself(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATION_STALL_SECONDS", "900")
    get_settings.cache_clear()
    _customer(org.rentals, 1)
    enablement = _enable(org, org.rentals)
    with pytest.raises(InvalidRequest) as running:
        enablements.retry(org.platform, enablement["id"], REQ)
    assert running.value.code == "sharing_enablement_running"


def _changes(event_type: str) -> list[dict[str, Any]]:
    import boto3

    from orgshare.storage import outbox

    items = boto3.client("dynamodb").scan(TableName=get_settings().events_table)["Items"]  # the outbox (a test may scan)
    return [c for c in (outbox.change_from_stream(i) for i in items) if c and c["type"] == event_type]
