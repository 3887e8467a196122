"""Round trips per API operation, counted on the server's own DynamoDB and KMS clients (as `make
bench` prints them): a write that calls no processor is one DynamoDB round trip, idempotency record
and event included, beyond the reads it needs first. The local system runs in a process of its own
for this module (its clients are counted where they run), driven through the stripe SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

_MEASURE = """
import json, logging
from bench.__main__ import round_trips
from localrun.__main__ import start
from orgshare import admin
logging.disable(logging.WARNING)
_moto, server, _tables, _env = start(0)
demo = admin.seed_demo()
url = f"http://127.0.0.1:{server.server_address[1]}"
rows = round_trips(url, {a.name: a.key for a in demo.accounts}, {a.name: a.id for a in demo.accounts})
print(json.dumps({row.name: [dict(row.calls), dict(row.kms)] for row in rows}))
"""


@pytest.fixture(scope="module")
def counted() -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _MEASURE], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        # Nothing to read first: the change, its search index items, its event and its key, in one transaction.
        ("POST /v1/customers", {"TransactWriteItems": 1}),
        # One read of what is there (the customer with the acting account's overlay, or the method), then the transaction.
        ("POST /v1/customers/{id} (shared field)", {"BatchGetItem": 1, "TransactWriteItems": 1}),
        ("POST /v1/customers/{id} (metadata)", {"BatchGetItem": 1, "TransactWriteItems": 1}),
        ("POST /v1/payment_methods/{id}/attach", {"BatchGetItem": 1, "TransactWriteItems": 1}),
        ("POST /v1/payment_methods/{id} (exp)", {"BatchGetItem": 1, "TransactWriteItems": 1}),
        ("POST /v1/payment_methods/{id}/detach", {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}),
        # The new default is read too (it must be the customer's): the customer and the method.
        ("POST /v1/customers/{id} (default_payment_method)", {"BatchGetItem": 2, "TransactWriteItems": 1}),
        # The new card and its key; the vault's own calls (the fingerprint's MAC, the sealing data key) come first.
        ("POST /v1/payment_methods (card)", {"TransactWriteItems": 1}),
        ("POST /v1/payment_methods (us_bank_account)", {"TransactWriteItems": 1}),
        # A DELETE the SDK sends without a key: the customer's items (to detach its methods), then the transaction.
        ("DELETE /v1/customers/{id}", {"Query": 1, "TransactWriteItems": 1}),
    ],
)
def test_a_write_without_a_processor_records_its_key_in_its_own_transaction(
    counted: dict[str, Any], operation: str, expected: dict[str, int]
) -> None:
    dynamodb, _kms = counted[operation]
    assert dynamodb == expected


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        # The key's claim; the customer and the card in one read; the profile's connectors; after the processor, one
        # transaction with the intent, charge, events and the claim's completion with the answer (no UpdateItem after it).
        ("POST /v1/payment_intents (confirm=true)", {"PutItem": 1, "BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}),
        # The intent first, then its card: two reads.
        ("POST /v1/payment_intents/{id}/confirm (test connector)", {"PutItem": 1, "BatchGetItem": 2, "Query": 1, "TransactWriteItems": 1}),
        # The claim; the intent, the connector; the amount claimed before the processor, the outcome recorded after it.
        ("POST /v1/refunds (partial)", {"PutItem": 1, "BatchGetItem": 2, "GetItem": 1, "TransactWriteItems": 2}),
    ],
)
def test_a_payment_completes_its_key_in_its_last_transaction(counted: dict[str, Any], operation: str, expected: dict[str, int]) -> None:
    dynamodb, _kms = counted[operation]
    assert dynamodb == expected


def test_a_write_of_one_item_is_a_plain_conditional_write(counted: dict[str, Any]) -> None:
    # A transaction of one item costs twice the write units of the same conditional PutItem.
    dynamodb, kms = counted["POST /v1/webhook_endpoints"]
    # The key's claim and the endpoint (PutItem each), the owner's endpoints counted (Query), the answer stored (UpdateItem).
    assert dynamodb == {"PutItem": 2, "Query": 1, "UpdateItem": 1}
    # Its secret is sealed under the organization's data key, opened by the organization's first endpoint in this function.
    assert kms == {}


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        # The card's data key only: the connector's credentials were opened by the confirm before, in this warm function.
        ("POST /v1/payment_intents (confirm=true)", {"Decrypt": 1}),
        ("POST /v1/refunds (partial)", {}),
    ],
)
def test_a_warm_payment_calls_kms_for_its_card_only(counted: dict[str, Any], operation: str, expected: dict[str, int]) -> None:
    _dynamodb, kms = counted[operation]
    assert kms == expected
