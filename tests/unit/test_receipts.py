"""Idempotency-Key's two paths keep one record: a write recorded in its own transaction
(`answer_in_write`) and a write that claims the key first (`answer`, for processors) share ids and
fingerprints, so a key used by one is found, replayed or refused by the other, whichever function
serves it; a claim is given up when its request fails before writing (and answers its 500 once it
wrote), and a live claim answers 409."""

from __future__ import annotations

from typing import Any

import pytest

from orgshare import admin
from orgshare.domain import idempotency
from orgshare.errors import IdempotencyFailed, IdempotencyInProgress, InvalidRequest
from orgshare.settings import get_settings
from orgshare.storage import receipts
from orgshare.storage.dynamo import ConditionFailed

REQUEST = {"method": "POST", "path": "/v1/customers", "params": {"name": "Ann"}}


@pytest.fixture
def who(aws: dict[str, str]) -> Any:
    demo = admin.seed_demo()
    return admin.platform_principal(demo.org, demo.accounts[0].id, demo.pool, "test")


def test_a_key_claimed_first_answers_a_one_transaction_write(who: Any) -> None:
    first, replayed = idempotency.answer(who, "k-1", REQUEST, lambda: {"id": "cus_1"}, None)
    assert (first, replayed) == ({"status": 200, "body": {"id": "cus_1"}}, False)
    again, replayed = idempotency.answer_in_write(who, "k-1", REQUEST, lambda: {"id": "cus_2"})
    assert (again, replayed) == (first, True)
    with pytest.raises(IdempotencyFailed):
        idempotency.answer_in_write(who, "k-1", {**REQUEST, "params": {"name": "Bob"}}, lambda: {"id": "cus_3"})


def test_a_key_is_one_request_whichever_function_serves_it(who: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orgshare-CustomersFunction-1")
    idempotency.answer_in_write(who, "k-3", REQUEST, lambda: {"id": "cus_1"})
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orgshare-PaymentsFunction-1")
    with pytest.raises(IdempotencyFailed):
        idempotency.answer(who, "k-3", {**REQUEST, "path": "/v1/payment_intents"}, lambda: {"id": "pi_1"}, None)


def test_a_key_recorded_in_a_write_answers_a_claim(who: Any) -> None:
    # Nothing to write (as a change that changes nothing): the record is put alone.
    first, _ = idempotency.answer_in_write(who, "k-2", REQUEST, lambda: {"id": "cus_1"})
    again, replayed = idempotency.answer(who, "k-2", REQUEST, lambda: {"id": "cus_2"}, None)
    assert (again, replayed) == (first, True)
    with pytest.raises(IdempotencyFailed):
        idempotency.answer(who, "k-2", {**REQUEST, "path": "/v1/payment_intents"}, lambda: {"id": "pi_1"}, None)


def test_a_failed_claim_frees_its_key_and_a_live_claim_is_in_progress(who: Any) -> None:
    def refused() -> dict[str, Any]:
        raise InvalidRequest("Missing required param: amount.", code="parameter_missing", param="amount")

    with pytest.raises(InvalidRequest):
        idempotency.answer(who, "k-4", REQUEST, refused, None)
    assert idempotency.answer(who, "k-4", REQUEST, lambda: {"id": "pi_1"}, None) == ({"status": 200, "body": {"id": "pi_1"}}, False)

    def meanwhile() -> dict[str, Any]:  # the same key again while the first still holds it
        idempotency.answer(who, "k-5", REQUEST, lambda: {"id": "pi_3"}, None)
        return {"id": "pi_2"}

    with pytest.raises(IdempotencyInProgress):
        idempotency.answer(who, "k-5", REQUEST, meanwhile, None)
    # The holder failed (its inner request raised through it): its claim is given up, the key usable again.
    assert idempotency.answer(who, "k-5", REQUEST, lambda: {"id": "pi_4"}, None)[0]["body"] == {"id": "pi_4"}


def test_a_request_failing_after_it_wrote_is_answered_with_its_500_not_run_again(who: Any) -> None:
    runs: list[str] = []

    def writes_then_fails() -> dict[str, Any]:  # as a refund whose outcome cannot be recorded after the processor refunded
        runs.append("ran")
        receipts.transact([{"Put": {"TableName": get_settings().data_table, "Item": {"pk": {"S": "T#1"}, "sk": {"S": "T"}}}}], None)
        raise RuntimeError("the refund's outcome could not be recorded")

    with pytest.raises(RuntimeError):
        idempotency.answer(who, "k-6", REQUEST, writes_then_fails, None)
    again, replayed = idempotency.answer(who, "k-6", REQUEST, writes_then_fails, None)
    assert replayed and again["status"] == 500 and again["body"]["error"]["type"] == "api_error"
    assert runs == ["ran"]

    def fails_before_writing() -> dict[str, Any]:
        runs.append("ran")
        raise RuntimeError("nothing written")

    with pytest.raises(RuntimeError):
        idempotency.answer(who, "k-7", REQUEST, fails_before_writing, None)
    assert idempotency.answer(who, "k-7", REQUEST, lambda: {"id": "pi_1"}, None) == ({"status": 200, "body": {"id": "pi_1"}}, False)


def test_a_request_losing_a_race_after_a_step_frees_its_key(who: Any) -> None:
    def steps_then_loses() -> dict[str, Any]:  # a 409 to its caller: as Stripe, no result is kept for a conflict
        receipts.transact([{"Put": {"TableName": get_settings().data_table, "Item": {"pk": {"S": "T#2"}, "sk": {"S": "T"}}}}], None)
        raise ConditionFailed([])

    with pytest.raises(ConditionFailed):
        idempotency.answer(who, "k-8", REQUEST, steps_then_loses, None)
    assert idempotency.answer(who, "k-8", REQUEST, lambda: {"id": "pi_1"}, None) == ({"status": 200, "body": {"id": "pi_1"}}, False)
