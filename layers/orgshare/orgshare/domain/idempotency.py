"""A change asked for twice happens once: the API's Idempotency-Key on POSTs (api/app.py `Api.write`)
and the dashboard's one-time form tokens (web/dashboard/replays.py), in records of powertools'
format (storage/receipts.py). Our own, not powertools' idempotency utility: that one claims and
completes with writes of its own, and cannot put a record into the change's own transaction,
which is what makes a write one round trip (`answer_in_write`) and a payment's completion free
(`answer`).

The key is scoped to the organization, mode and acting account; the stored fingerprint is the
method, path and parameters, so the same key with other parameters or on another endpoint is an
idempotency_error. A request that raises before its change is written (bad input, missing object)
leaves no record behind.

What the record keeps is safe to lose with the table: the fingerprint is a keyed hash (the key is
derived in KMS, see vault.keyed_hash) of the parameters with any CVC left out, so a stored record
cannot be brute-forced back into a card number; and the answer kept for replay has its one-time
secrets (a new API key's, a webhook endpoint's signing secret) redacted: only the first answer
shows them, as only the first creation may. A checkout session's page secret is never stored
either: it is derived again for the replay.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orgshare.domain.checkout import secrets as checkout_secrets
from orgshare.domain.principal import Principal
from orgshare.errors import UNEXPECTED_MESSAGE, ApiError, IdempotencyFailed, IdempotencyInProgress, InvalidRequest
from orgshare.observability import logger
from orgshare.settings import get_settings
from orgshare.storage import receipts
from orgshare.storage.dynamo import ConditionFailed
from orgshare.vault.keyed_hash import IDEMPOTENCY, keyed_hash

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

MAX_KEY_LENGTH = 255
_NEVER_KEPT = frozenset({"cvc", "cvv"})  # PCI DSS 3.3.1.2: no security code in any form after the request
_ONE_TIME_SECRETS = ("secret",)  # response fields shown once: API key secrets, webhook signing secrets


def _replayed(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored answer as a replay gives it back (a checkout session's page secret derived again)."""
    body = stored.get("result", {}).get("body")
    if isinstance(body, dict) and body.get("object") == "checkout.session":
        stored = {**stored, "result": {**stored["result"], "body": checkout_secrets.reveal(body)}}
    return {**stored, "replayed": True}


def _without_cvc(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_cvc(v) for k, v in value.items() if k not in _NEVER_KEPT}
    if isinstance(value, list):
        return [_without_cvc(v) for v in value]
    return value


def fingerprint(request: dict[str, Any]) -> str:
    """A keyed hash of a canonical form of the request (method, path, decoded parameters), so the
    same parameters sent as a form or as JSON, in any order, are the same request."""
    canonical = json.dumps(_without_cvc(request), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return keyed_hash(IDEMPOTENCY, canonical)


def _redacted(secret: Any) -> Any:
    if not isinstance(secret, str):
        return secret
    prefix, _, _ = secret.rpartition("_")
    return f"{prefix}_****{secret[-4:]}" if prefix else "****"


def _for_storage(answer: dict[str, Any]) -> dict[str, Any]:
    body = answer.get("result", {}).get("body")
    if isinstance(body, dict) and body.get("object") == "checkout.session":  # its page secret is derived again on replay
        return {**answer, "result": {**answer["result"], "body": checkout_secrets.conceal(body)}}
    if isinstance(body, dict) and body.get("object") == "organization_sandbox":  # a new key per copied account, shown once
        accounts = [{**a, "secret_key": _redacted(a.get("secret_key"))} for a in body.get("accounts", [])]
        return {**answer, "result": {**answer["result"], "body": {**body, "accounts": accounts}}}
    if not isinstance(body, dict) or not any(field in body for field in _ONE_TIME_SECRETS):
        return answer
    kept = {**body, **{field: _redacted(body[field]) for field in _ONE_TIME_SECRETS if field in body}}
    return {**answer, "result": {**answer["result"], "body": kept}}


# Every function's records under one prefix: a key is one request whichever function serves its
# endpoint (powertools' default prefix is the function's name, which told a key used on
# /v1/customers apart from the same key on /v1/payment_intents in AWS, though not locally).
_PREFIX = "orgshare.idempotency"
_CLAIM_WITHOUT_CONTEXT_MS = 60_000  # no request outlives API Gateway's 29 s
_UNEXPECTED = {"status": 500, "body": {"error": {"type": "api_error", "message": UNEXPECTED_MESSAGE}}}


def _scope(principal: Principal, key: str) -> list[str]:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.", code="idempotency_key_invalid")
    # Keys of a publishable key (public) and of the secret keys never meet: one cannot block or replay the other's;
    # nor do an organization key's and the platform's (one may make calls the other may not).
    kind = principal.key_type if principal.key_scope == "account" else "organization"
    return [principal.org, principal.mode, principal.account, kind, key]


def _reused(key: str) -> IdempotencyFailed:
    return IdempotencyFailed(
        f"Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
        code="idempotency_key_reused",
    )


def _in_progress() -> IdempotencyInProgress:
    return IdempotencyInProgress(
        "There is currently another in-progress request using this Idempotency-Key. Please try again later.",
        code="idempotency_key_in_use",
    )


def _md5(value: Any) -> str:
    # powertools' hash of a record's key and fingerprint, as in its records (neither is secret; md5 is no safeguard here).
    return hashlib.md5(json.dumps(value, sort_keys=True).encode(), usedforsecurity=False).hexdigest()


def _receipt(principal: Principal, key: str, request: dict[str, Any]) -> receipts.Receipt:
    return receipts.Receipt(
        record_id=f"{_PREFIX}#{_md5(_scope(principal, key))}",
        validation=_md5(fingerprint(request)),
        expires_at=int(time.time()) + get_settings().idempotency_ttl_seconds,
        encode=lambda result: json.dumps(_for_storage({"result": result}), sort_keys=True),
    )


def _from_record(record: dict[str, Any], receipt: receipts.Receipt, key: str) -> tuple[dict[str, Any], bool]:
    if record.get("status") != receipts.COMPLETED:
        raise _in_progress()
    if record.get("validation") != receipt.validation:
        raise _reused(key)
    return _replayed(json.loads(record["data"]))["result"], True


def _held_until_ms(lambda_context: LambdaContext | None) -> int:
    # A claim outlives its request only if the function dies: then it frees itself when the invocation's time is up.
    remaining = lambda_context.get_remaining_time_in_millis() if lambda_context is not None else _CLAIM_WITHOUT_CONTEXT_MS
    return int(time.time() * 1000) + remaining


def answer(
    principal: Principal,
    key: str | None,
    request: dict[str, Any],
    operation: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext | None,
) -> tuple[dict[str, Any], bool]:
    """A change's answer, {"status", "body"}, run once per `key` and `request` (method, path,
    parameters), and whether it was a replay, for a change that calls a processor (or writes more
    than once): the key is claimed first (one PutItem, which also answers a replay from the record
    it meets). The write that hands its answer to storage.receipts.transact (a payment's, a
    refund's last: inner steps of a larger request run under receipts.aside) completes the claim
    in its own transaction; otherwise an UpdateItem does at the end. A request that fails before
    such a write gives the key up (an ApiError, or anything unexpected: a retry runs it again); one
    that fails after it answers what it recorded; an error that is itself the answer (`stored`, a
    card decline) is recorded as such."""

    def attempt() -> dict[str, Any]:
        try:
            return {"status": 200, "body": operation()}
        except ApiError as error:
            if not error.stored:
                raise  # nothing was written: the key stays free
            return {"status": error.status, "body": error.body()}

    if key is None:
        return attempt(), False
    receipt = _receipt(principal, key, request)
    try:
        receipts.claim(receipt, _held_until_ms(lambda_context))
    except receipts.Recorded as earlier:
        return _from_record(earlier.record, receipt, key)
    except receipts.KeyInUse:
        raise _in_progress() from None
    with receipts.expecting(receipt):
        try:
            result = attempt()
        except (ApiError, ConditionFailed):  # refused, or lost a race (a 409): as Stripe, nothing kept, the key free
            if receipt.recorded is not None:  # failed after its change committed: the change's answer stands
                return dict(json.loads(receipt.recorded)["result"]), False
            _release(receipt)
            raise
        except Exception:
            if receipt.recorded is None and receipt.wrote:  # something was written (an amount claimed, money moved):
                receipts.record(receipt, _UNEXPECTED)  # a retry is answered with this 500, as Stripe's are, not run again
            elif receipt.recorded is None:
                _release(receipt)
            raise
    receipts.record(receipt, result)  # nothing if its last transaction completed the claim with this very answer
    return result, False


def _release(receipt: receipts.Receipt) -> None:
    # The request's own error is what its caller must see, not a failure to give the key up (which then lapses by itself).
    try:
        receipts.release(receipt)
    except Exception:  # any failure here only delays the key's reuse until the claim lapses
        logger.exception("idempotency claim not released")


def answer_in_write(
    principal: Principal, key: str | None, request: dict[str, Any], operation: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """As `answer`, for a change that calls no processor and hands its answer to the one transaction
    that writes it (storage.receipts.transact): the record goes into that transaction, so there is
    no claim before and no update after, and a retry's transaction is cancelled by the record it
    meets, which answers it. Two requests racing with one key: one commits, the other is answered
    from its record. A change that finds nothing to write records its answer alone; one that fails
    is answered from an earlier record if there is one (a retry of a delete that happened), else
    its error stands and the key stays free."""
    if key is None:
        return {"status": 200, "body": operation()}, False
    receipt = _receipt(principal, key, request)
    with receipts.expecting(receipt):
        try:
            body = operation()
            receipts.record(receipt, {"status": 200, "body": body})  # nothing if its transaction recorded this answer
        except receipts.Recorded as earlier:
            return _from_record(earlier.record, receipt, key)
        except receipts.KeyInUse:
            raise _in_progress() from None
        except ApiError:
            if receipt.recorded is not None:  # failed after its change committed: the change's answer stands
                return dict(json.loads(receipt.recorded)["result"]), False
            found = receipts.find(receipt.record_id)
            if found is None:
                raise
            return _from_record(found, receipt, key)
    return {"status": 200, "body": body}, False
