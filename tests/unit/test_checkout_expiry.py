"""Sessions past expires_at expire on their own: the scheduled sweep, from its checkpoint."""

from __future__ import annotations

import json
import time

import boto3

from localrun.pollers import schedule_seconds
from orgshare import admin
from orgshare.domain import auth
from orgshare.domain.checkout import completion, expiry, sessions
from orgshare.domain.principal import RequestInfo
from orgshare.params.checkout import CheckoutSessionConfirm, CheckoutSessionCreate
from orgshare.params.payment_methods import CardInput

LINE = {"price_data": {"currency": "usd", "unit_amount": 700, "product_data": {"name": "Ride"}}, "quantity": 1}
RIDE = {"mode": "payment", "success_url": "https://rides.example/ok", "line_items": [LINE]}


def _events(aws: dict[str, str], kind: str) -> list[dict[str, object]]:
    items = boto3.client("dynamodb").scan(TableName=aws["EVENTS_TABLE"])["Items"]
    return [json.loads(json.dumps(i, default=str)) for i in items if i.get("type", {}).get("S") == kind]


def test_due_sessions_expire_once_with_their_event(aws: dict[str, str]) -> None:
    rides = auth.authenticate(admin.seed_demo().accounts[1].key)
    now = int(time.time())
    due = sessions.create(rides, CheckoutSessionCreate.model_validate({**RIDE, "expires_at": now + 1900}), RequestInfo("r"), "http://x")
    later = sessions.create(rides, CheckoutSessionCreate.model_validate({**RIDE, "expires_at": now + 7200}), RequestInfo("r"), "http://x")
    paid = sessions.create(rides, CheckoutSessionCreate.model_validate({**RIDE, "expires_at": now + 1900}), RequestInfo("r"), "http://x")
    completion.pay(rides, paid["id"], CheckoutSessionConfirm(card=CardInput(token="tok_visa")), RequestInfo("r"), "Rocket Group")

    assert expiry.sweep(now) == 0  # nothing is due yet
    assert expiry.sweep(now + 1900 + 120) == 1  # two minutes after: the due one, not the later or the paid one
    assert sessions.retrieve(rides, due["id"])["status"] == "expired"
    assert sessions.retrieve(rides, later["id"])["status"] == "open"
    assert sessions.retrieve(rides, paid["id"])["status"] == "complete"
    assert expiry.sweep(now + 1900 + 180) == 0  # from the checkpoint on: expired once
    assert len(_events(aws, "checkout.session.expired")) == 1
    assert expiry.sweep(now + 7200 + 120) == 1
    assert sessions.retrieve(rides, later["id"])["status"] == "expired"


def test_schedules_run_at_their_rate_locally() -> None:
    assert schedule_seconds("rate(1 minute)") == 60 and schedule_seconds("rate(5 minutes)") == 300
