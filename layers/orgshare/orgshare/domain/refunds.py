"""Refunds of a payment (named by its intent or its charge), by the account that made it, through
the connector that took it.

The amount is claimed on the intent before the processor is asked, in one atomic conditional
update (the refunded total may only grow while it stays within what was received), so concurrent
refunds never wait on each other and together can never return more than was captured. The charge
takes the same amount, and keeps the refund inside it, in the same transactions.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.connectors import ConnectorAuthFailed, ProcessorFailed
from orgshare.domain import charges, profiles
from orgshare.domain.changes import change_record
from orgshare.domain.payments import PRIVATE_FIELDS, load
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import Conflict, InvalidRequest, ProcessorUnavailable, ResourceMissing
from orgshare.ids import new_id
from orgshare.params.payments import RefundCreate, RefundList, RefundUpdate
from orgshare.storage import charges as charges_store
from orgshare.storage import payments as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import check_expand, list_object

_CLAIM_ATTEMPTS = 3  # only a claim given back meanwhile (a failed refund) makes a retry worth it
# The outcome's transaction touches the charge, which concurrent refunds of it touch too: a
# transaction conflict is worth retrying, as nothing of it was written.
_RECORD_ATTEMPTS = 3
MAX_REFUNDS = 100  # per charge: its refunds live in its item, which must stay far below DynamoDB's 400 KB


def render(refund: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in refund.items() if k not in PRIVATE_FIELDS} | {"object": "refund"}


def _too_large(amount: int, available: int) -> InvalidRequest:
    return InvalidRequest(
        f"Refund amount ({amount}) is greater than the unrefunded amount ({available}).", code="amount_too_large", param="amount"
    )


def _claim(principal: Principal, intent: dict[str, Any], amount: int | None, record: dict[str, Any], param: str) -> int:
    """Claims the refund's amount (all that is left when `amount` is None) on the intent and its
    charge and writes the pending refund with it, atomically; returns the amount claimed."""
    for _ in range(_CLAIM_ATTEMPTS):
        if intent["status"] != "succeeded":
            raise InvalidRequest("Only a succeeded payment can be refunded.", code="charge_not_refundable", param=param)
        if intent.get("refund_count", 0) >= MAX_REFUNDS:
            raise InvalidRequest(f"A charge can have at most {MAX_REFUNDS} refunds.", code="charge_not_refundable", param=param)
        available = intent["amount_received"] - intent["amount_refunded"]
        wanted = amount if amount is not None else available
        if wanted <= 0 or wanted > available:
            raise _too_large(wanted, available)
        record["amount"] = wanted
        claim = store.refund_claim(intent, wanted, MAX_REFUNDS)
        taken = charges_store.charge_update(intent, add={"amount_refunded": wanted}, refund=render(record))
        try:
            store.commit([claim, taken, store.refund_put(record)], [])
            return wanted
        except ConditionFailed:
            intent = load(principal, intent["id"])  # concurrent refunds took part of it: judge again from a fresh read
    raise _too_large(wanted, intent["amount_received"] - intent["amount_refunded"])


def _target(principal: Principal, params: RefundCreate) -> tuple[dict[str, Any], str]:
    """The intent to refund and the parameter that named it: `payment_intent`, or `charge` (its
    intent's charge that took the money; a declined attempt has nothing to refund)."""
    if params.payment_intent is not None:
        return load(principal, params.payment_intent), "payment_intent"
    charge = charges.load(principal, str(params.charge), param="charge")
    intent = load(principal, charge["payment_intent"])
    if charge["status"] != "succeeded" or intent.get("latest_charge") != charge["id"]:
        raise InvalidRequest(f"Charge {charge['id']} failed: there is nothing to refund.", code="charge_not_refundable", param="charge")
    return intent, "charge"


def _record(writes: list[dict[str, Any]], changes: list[dict[str, Any]], answer: dict[str, Any] | None = None) -> None:
    """A refund's outcome, in one transaction (with the request's answer, when it is the last)."""
    for attempt in range(_RECORD_ATTEMPTS):
        try:
            store.commit(writes, changes, answer=answer)
            return
        except ConditionFailed as lost:
            if attempt == _RECORD_ATTEMPTS - 1:
                # After the processor's answer: a server failure, which the key keeps (a retry must not refund again).
                raise RuntimeError("the refund's outcome could not be recorded") from lost


def create(principal: Principal, params: RefundCreate, request: RequestInfo) -> dict[str, Any]:
    """Claims the amount, asks the processor, then records the outcome (or gives the claim back)."""
    check_expand(params.expand, ())
    intent, param = _target(principal, params)
    _, connector = profiles.connector_for(principal, intent["profile"], intent["connector"])
    refund_id = new_id("re")
    record = {"id": refund_id, "org": principal.org, "account": principal.account, "mode": principal.mode, "amount": 0,
              "currency": intent["currency"], "charge": intent["latest_charge"], "payment_intent": intent["id"], "reason": params.reason,
              "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None}, "created": int(time.time()),
              "status": "pending", "actor": principal.actor()}  # fmt: skip
    amount = _claim(principal, intent, params.amount, record, param)
    failure: Exception | None = None
    try:
        result = connector.refund(intent["reference"], amount, idempotency_key=refund_id)
        succeeded = result.status == "succeeded"
    except (ConnectorAuthFailed, ProcessorFailed) as exc:
        succeeded, failure = False, exc
    record["status"] = "succeeded" if succeeded else "failed"
    refund = render(record)
    if succeeded:  # the intent and the charge already hold the amount (the claim): the refund's outcome and its events
        # The charge as it stands now (other refunds that ran meanwhile included), with this refund done.
        charge = charges.load(principal, intent["latest_charge"])
        charge["refunds"] = {**charge["refunds"], refund["id"]: refund}
        changes = [change_record(principal, request, "refund.created", refund, audience="account"),
                   change_record(principal, request, "charge.refunded", charges.render(charge), audience="account")]  # fmt: skip
        _record([store.refund_put(record), charges_store.charge_update(intent, refund=refund)], changes, answer=refund)
        return refund
    # The processor did not refund: the claim is given back, on the intent and on the charge.
    release = [store.refund_release(intent, amount), charges_store.charge_update(intent, add={"amount_refunded": -amount}, refund=refund)]
    _record([*release, store.refund_put(record)], [])
    if isinstance(failure, ProcessorFailed) and failure.retryable:
        raise ProcessorUnavailable(f"{failure} The refund was recorded as failed; create it again.", code="connector_unavailable")
    raise InvalidRequest("The processor refused the refund; nothing was refunded.", code="refund_failed", param=param)


def retrieve(principal: Principal, refund_id: str) -> dict[str, Any]:
    found = store.get_refund(principal.org, principal.account, principal.mode, refund_id)
    if found is None:
        raise ResourceMissing("refund", refund_id)
    return render(found)


def _metadata_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Stripe's previous_attributes.metadata: the keys that changed, with their old values ("" if new)."""
    return {k: old.get(k, "") for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


def update(principal: Principal, refund_id: str, params: RefundUpdate, request: RequestInfo) -> dict[str, Any]:
    """Its metadata, on the refund and on its copy inside the charge, with `refund.updated`, in one
    transaction guarded by the refund's version (a lost race is judged again from a fresh read)."""
    check_expand(params.expand, ())
    for _ in range(_RECORD_ATTEMPTS):
        found = store.get_refund(principal.org, principal.account, principal.mode, refund_id)
        if found is None:
            raise ResourceMissing("refund", refund_id)
        if found["status"] == "pending":  # its creation still writes it: an update now could be overwritten
            raise Conflict("This refund is still being processed; please retry.")
        old = found.get("metadata") or {}
        new = dict(found)
        if "metadata" in params.given():
            merged = {**old, **params.metadata} if params.metadata is not None else {}
            new["metadata"] = {k: v for k, v in merged.items() if v is not None}
        changed = _metadata_changes(old, new.get("metadata") or {})
        refund = render(new)
        if not changed:
            return refund  # nothing changed: nothing to write, no event
        version = int(found.get("version") or 0)
        new["version"] = version + 1
        charge_of = {"org": principal.org, "account": principal.account, "mode": principal.mode, "latest_charge": found["charge"]}
        change = change_record(principal, request, "refund.updated", refund, audience="account", previous_attributes={"metadata": changed})
        try:
            store.commit([store.refund_update(new, version), charges_store.charge_update(charge_of, refund=refund)], [change])
            return refund
        except ConditionFailed:
            continue
    raise Conflict("This refund was changed by another request; please retry.")


def list_refunds(principal: Principal, params: RefundList, url: str) -> dict[str, Any]:
    """A charge's refunds, or an intent's (those of the charge that took its money): the charge
    keeps them, so the page is cut from one read of it, with Stripe's cursors."""
    check_expand(params.expand, (), in_list=True)
    if params.charge is not None:
        charge = charges.load(principal, params.charge, param="charge")
        if params.payment_intent is not None and charge["payment_intent"] != params.payment_intent:
            return list_object(url, [], False)
        return charges.refunds_page(charge, params, url)
    intent = load(principal, str(params.payment_intent))
    taken = intent.get("latest_charge") if intent["status"] == "succeeded" else None
    found = charges_store.get_charge(principal.org, principal.account, principal.mode, taken) if taken else None
    return charges.refunds_page(found or {}, params, url)
