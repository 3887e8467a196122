"""What the tables hold (no secret in clear) and how many round trips each operation costs."""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest

from bench.counting import dynamodb_calls
from orgshare import admin
from orgshare.domain import accounts, auth, customers
from orgshare.domain.principal import RequestInfo
from orgshare.errors import AuthenticationFailed
from orgshare.params.accounts import ApiKeyCreate
from orgshare.params.customers import CustomerCreate, CustomerList, CustomerRetrieve, CustomerUpdate


def test_api_keys_are_stored_only_as_hashes(aws: dict[str, str]) -> None:
    demo = admin.seed_demo()
    items = boto3.client("dynamodb").scan(TableName=aws["DIRECTORY_TABLE"])["Items"]
    dump = json.dumps(items, default=lambda raw: base64.b64encode(raw).decode())  # sealed values are binary
    assert len(items) > 10
    for account in demo.accounts:
        assert account.key not in dump
        assert account.key[-4:] in dump  # the redacted form is kept, for key lists


def test_expired_keys_are_refused_with_their_own_code(aws: dict[str, str]) -> None:
    demo = admin.seed_demo()
    who = admin.platform_principal(demo.org, demo.accounts[0].id, demo.pool, "test")
    key = accounts.create_api_key(who, demo.accounts[1].id, ApiKeyCreate(expires_at=int(time.time()) + 60))
    assert auth.authenticate(key["secret"], now=key["expires_at"] - 1).account == demo.accounts[1].id
    with pytest.raises(AuthenticationFailed) as err:
        auth.authenticate(key["secret"], now=key["expires_at"])
    assert err.value.code == "api_key_expired" and key["secret"] not in err.value.message


def test_round_trips_per_customer_operation(aws: dict[str, str]) -> None:
    demo = admin.seed_demo()
    who = auth.authenticate(demo.accounts[1].key)
    request = RequestInfo("req_test")
    with dynamodb_calls() as create:
        cus = customers.create(who, CustomerCreate(name="Jo", metadata={"a": "1"}), request)
    with dynamodb_calls() as retrieve:
        customers.retrieve(who, cus["id"], CustomerRetrieve())
    with dynamodb_calls() as update:
        customers.update(who, cus["id"], CustomerUpdate(name="Joanna"), request)
    with dynamodb_calls() as listing:
        customers.list_customers(who, CustomerList(), "/v1/customers")
    with dynamodb_calls() as delete:
        customers.delete(who, cus["id"], request)
    assert dict(create) == {"TransactWriteItems": 1}
    assert dict(retrieve) == {"BatchGetItem": 1}
    assert dict(update) == {"BatchGetItem": 1, "TransactWriteItems": 1}  # read for previous_attributes, then a guarded write
    assert dict(listing) == {"Query": 1, "BatchGetItem": 1}  # this month's bucket, then the caller's overlays
    assert dict(delete) == {"Query": 1, "TransactWriteItems": 1}  # the customer's partition, then one transaction


def test_each_change_writes_its_outbox_record_in_the_same_transaction(aws: dict[str, str]) -> None:
    demo = admin.seed_demo()
    who = auth.authenticate(demo.accounts[1].key)
    cus = customers.create(who, CustomerCreate(name="Out Box"), RequestInfo("req_1", "idem-1"))
    customers.update(who, cus["id"], CustomerUpdate(metadata={"k": "v"}), RequestInfo("req_2"))
    customers.update(who, cus["id"], CustomerUpdate(email="o@example.com"), RequestInfo("req_3"))
    records = boto3.client("dynamodb").scan(TableName=aws["EVENTS_TABLE"])["Items"]
    changes = sorted((r["request"]["M"]["id"]["S"], r["type"]["S"], r["audience"]["S"]) for r in records)
    assert changes == [
        ("req_1", "customer.created", "pool"),
        ("req_2", "customer.updated", "account"),  # metadata is per account
        ("req_3", "customer.updated", "pool"),  # email is shared
    ]
