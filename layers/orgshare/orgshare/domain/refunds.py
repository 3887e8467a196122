"""Refunds of a payment, by the account that made it, through the connector that took it.

The amount is claimed on the intent before the processor is asked, in one atomic conditional
update (the refunded total may only grow while it stays within what was received), so concurrent
refunds never wait on each other and together can never return more than was captured.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.connectors import ConnectorAuthFailed, ProcessorFailed
from orgshare.domain import profiles
from orgshare.domain.changes import change_record
from orgshare.domain.payments import PRIVATE_FIELDS, load
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import InvalidRequest, ProcessorUnavailable, ResourceMissing
from orgshare.ids import new_id
from orgshare.params.payments import RefundCreate, RefundList
from orgshare.storage import payments as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import list_object

_CLAIM_ATTEMPTS = 3  # only a claim given back meanwhile (a failed refund) makes a retry worth it


def render(refund: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in refund.items() if k not in PRIVATE_FIELDS} | {"object": "refund"}


def _too_large(amount: int, available: int) -> InvalidRequest:
    return InvalidRequest(
        f"Refund amount ({amount}) is greater than the unrefunded amount ({available}).", code="amount_too_large", param="amount"
    )


def _claim(principal: Principal, intent: dict[str, Any], amount: int | None, record: dict[str, Any]) -> int:
    """Claims the refund's amount (all that is left when `amount` is None) and writes the pending
    refund with it, atomically; returns the amount claimed."""
    for _ in range(_CLAIM_ATTEMPTS):
        if intent["status"] != "succeeded":
            raise InvalidRequest("Only a succeeded payment can be refunded.", code="charge_not_refundable", param="payment_intent")
        available = intent["amount_received"] - intent["amount_refunded"]
        wanted = amount if amount is not None else available
        if wanted <= 0 or wanted > available:
            raise _too_large(wanted, available)
        record["amount"] = wanted
        try:
            store.commit([store.refund_claim(intent, wanted), *store.refund_puts(record)], [])
            return wanted
        except ConditionFailed:
            intent = load(principal, intent["id"])  # concurrent refunds took part of it: judge again from a fresh read
    raise _too_large(wanted, intent["amount_received"] - intent["amount_refunded"])


def create(principal: Principal, params: RefundCreate, request: RequestInfo) -> dict[str, Any]:
    """Claims the amount, asks the processor, then records the outcome (or gives the claim back)."""
    intent = load(principal, params.payment_intent)
    _record, connector = profiles.connector_for(principal, intent["profile"], intent["connector"])
    refund_id = new_id("re")
    record = {"id": refund_id, "org": principal.org, "account": principal.account, "mode": principal.mode, "amount": 0,
              "currency": intent["currency"], "charge": intent["latest_charge"], "payment_intent": intent["id"], "reason": params.reason,
              "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None}, "created": int(time.time()),
              "status": "pending"}  # fmt: skip
    amount = _claim(principal, intent, params.amount, record)
    failure: Exception | None = None
    try:
        result = connector.refund(intent["reference"], amount, idempotency_key=refund_id)
        succeeded = result.status == "succeeded"
    except (ConnectorAuthFailed, ProcessorFailed) as exc:
        succeeded, failure = False, exc
    record["status"] = "succeeded" if succeeded else "failed"
    if succeeded:  # the intent already holds the amount (the claim): only the refund and its event are written
        # The charge as it stands now, other refunds that ran meanwhile included.
        change = change_record(principal, request, "charge.refunded", charge_of(load(principal, intent["id"])), audience="account")
        store.commit(store.refund_puts(record), [change])
        return render(record)
    store.commit([store.refund_release(intent, amount), *store.refund_puts(record)], [])  # the processor did not refund
    if isinstance(failure, ProcessorFailed) and failure.retryable:
        raise ProcessorUnavailable(f"{failure} The refund was recorded as failed; create it again.", code="connector_unavailable")
    raise InvalidRequest("The processor refused the refund; nothing was refunded.", code="refund_failed", param="payment_intent")


def charge_of(intent: dict[str, Any]) -> dict[str, Any]:
    """The charge object of an intent, as charge.* events carry it."""
    return {
        "id": intent["latest_charge"], "object": "charge", "amount": intent["amount"], "amount_captured": intent["amount_received"],
        "amount_refunded": intent["amount_refunded"], "currency": intent["currency"], "customer": intent.get("customer"),
        "livemode": intent["mode"] == "live", "paid": True, "payment_intent": intent["id"], "payment_method": intent["payment_method"],
        "refunded": intent["amount_refunded"] >= intent["amount_received"], "status": "succeeded",
    }  # fmt: skip


def retrieve(principal: Principal, refund_id: str) -> dict[str, Any]:
    found = store.get_refund(principal.org, principal.account, principal.mode, refund_id)
    if found is None:
        raise ResourceMissing("refund", refund_id)
    return render(found)


def list_refunds(principal: Principal, params: RefundList, url: str) -> dict[str, Any]:
    load(principal, params.payment_intent)
    refunds = store.refunds_of(principal.org, principal.account, principal.mode, params.payment_intent)
    return list_object(url, [render(r) for r in refunds[: params.limit]], len(refunds) > params.limit)
