"""A write of one item goes alone (PutItem: half a one-item transaction's write units), and is
no less safe for it: botocore retries a write whose answer was lost (a read timeout), and the retry
meets the item its own first attempt wrote. A transaction's ClientRequestToken made that retry
succeed; a Put alone recognises its own item instead of answering a lost race, and so does the
claim of an Idempotency-Key (its own claim, not a twin request's)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from orgshare.settings import get_settings
from orgshare.storage import dynamo
from orgshare.storage.dynamo import ConditionFailed


def _lose_first_answer(operation: str) -> list[dict[str, Any]]:
    """The first `operation` request is carried out (by another client) but its answer never comes back."""
    side = boto3.client("dynamodb")
    sent: list[dict[str, Any]] = []

    def handler(request: Any, **_: Any) -> None:
        body = json.loads(request.body)
        sent.append(body)
        if len(sent) == 1:
            getattr(side, {"PutItem": "put_item", "TransactWriteItems": "transact_write_items"}[operation])(**body)
            raise ReadTimeoutError(endpoint_url=request.url)

    dynamo.client().meta.events.register(f"before-send.dynamodb.{operation}", handler)
    return sent


def _put(sk: str, name: str) -> dict[str, Any]:
    item = dynamo.key("ORG#single", sk) | {"version": {"N": "1"}, "name": {"S": name}}
    return dynamo.versioned_put(get_settings().directory_table, item, None)


def test_a_put_whose_answer_was_lost_is_its_own_success_not_a_lost_race(aws: dict[str, str]) -> None:
    sent = _lose_first_answer("PutItem")
    dynamo.transact([_put("WE#1", "mine")])
    assert len(sent) == 2  # botocore retried; its retry met the item the first attempt wrote


def test_a_put_that_meets_another_writers_item_still_fails_its_condition(aws: dict[str, str]) -> None:
    dynamo.transact([_put("WE#2", "theirs")])
    sent = _lose_first_answer("PutItem")
    with pytest.raises(ConditionFailed) as failed:
        dynamo.transact([_put("WE#2", "mine")])
    assert len(sent) == 1 and failed.value.reasons[0]["Code"] == "ConditionalCheckFailed"


def test_a_key_claimed_whose_answer_was_lost_is_this_requests_claim_not_a_twin(aws: dict[str, str]) -> None:
    # The claim of a confirm's Idempotency-Key (storage/receipts.claim): its retry met the claim it made itself.
    import time

    from orgshare.storage import receipts

    receipt = receipts.Receipt("orgshare.idempotency#lost", "fingerprint", int(time.time()) + 3600, json.dumps)
    sent = _lose_first_answer("PutItem")
    receipts.claim(receipt, int(time.time() * 1000) + 60_000)
    assert len(sent) == 2 and receipt.claimed
