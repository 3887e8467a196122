"""The record a one-transaction write keeps for its Idempotency-Key and the record powertools keeps
for the other writes are one record: the same id and the same fingerprint, so a key used by one
path is found, replayed or refused by the other."""

from __future__ import annotations

from typing import Any

import pytest

from orgshare import admin
from orgshare.domain import idempotency
from orgshare.errors import IdempotencyFailed

# powertools' path without a Lambda context (no remaining time to bound its claim by) says so; here that is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left")

REQUEST = {"method": "POST", "path": "/v1/customers", "params": {"name": "Ann"}}


@pytest.fixture
def who(aws: dict[str, str]) -> Any:
    demo = admin.seed_demo()
    return admin.platform_principal(demo.org, demo.accounts[0].id, demo.pool, "test")


def test_a_key_recorded_by_powertools_answers_a_one_transaction_write(who: Any) -> None:
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


def test_a_key_recorded_in_a_write_answers_powertools(who: Any) -> None:
    # Nothing to write (as a change that changes nothing): the record is put alone.
    first, _ = idempotency.answer_in_write(who, "k-2", REQUEST, lambda: {"id": "cus_1"})
    again, replayed = idempotency.answer(who, "k-2", REQUEST, lambda: {"id": "cus_2"}, None)
    assert (again, replayed) == (first, True)
    with pytest.raises(IdempotencyFailed):
        idempotency.answer(who, "k-2", {**REQUEST, "path": "/v1/payment_intents"}, lambda: {"id": "pi_1"}, None)
