"""A change asked for twice happens once: the API's Idempotency-Key on POSTs (api/app.py `Api.write`)
and the dashboard's one-time form tokens (web/dashboard/replays.py), through powertools'
idempotency utility (DynamoDB persistence, storage/idempotency.py).

The key is scoped to the organization, mode and acting account; the stored fingerprint is the
method, path and parameters, so the same key with other parameters or on another endpoint is an
idempotency_error. A request that raises (bad input, missing object) leaves no record behind.

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
from orgshare.errors import ApiError, IdempotencyFailed, IdempotencyInProgress, InvalidRequest
from orgshare.settings import get_settings
from orgshare.storage import receipts
from orgshare.vault.keyed_hash import IDEMPOTENCY, keyed_hash

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
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


def _mark_replay(response: Any, idempotent_data: DataRecord) -> Any:
    del idempotent_data
    return _replayed(response)


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


def run(
    principal: Principal,
    key: str | None,
    request: dict[str, Any],
    operation: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext | None,
) -> tuple[dict[str, Any], bool]:
    """The operation's result, or the stored result of an earlier request with the same key and
    the same `request` (method, path, parameters), and whether it was a replay."""
    if key is None:
        return operation(), False
    scope = _scope(principal, key)
    # Imported here: a function whose writes all record in their own transaction never loads them.
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
    from aws_lambda_powertools.utilities.idempotency.serialization.custom_dict import CustomDictSerializer

    from orgshare.storage.idempotency import persistence

    config = IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="request",
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
        response_hook=_mark_replay,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    def once(data: dict[str, Any]) -> dict[str, Any]:
        del data  # only what identifies the request; the operation closes over its inputs
        return {"result": operation()}

    serializer = CustomDictSerializer(to_dict=_for_storage, from_dict=lambda stored: stored)
    guarded = idempotent_function(
        data_keyword_argument="data", persistence_store=persistence(), config=config, output_serializer=serializer, key_prefix=_PREFIX
    )(once)
    try:
        answer = guarded(data={"scope": scope, "request": fingerprint(request)})
    except IdempotencyValidationError:
        raise _reused(key) from None
    except IdempotencyAlreadyInProgressError:
        raise _in_progress() from None
    return answer["result"], bool(answer.get("replayed"))


def answer(
    principal: Principal,
    key: str | None,
    request: dict[str, Any],
    operation: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext | None,
) -> tuple[dict[str, Any], bool]:
    """A change's answer, {"status", "body"}, run once per `key` (see `run`), and whether it was a
    replay. An ApiError raised before anything was written propagates and leaves the key free; one
    raised after its changes were committed (`stored`, a card decline) is the stored answer."""

    def attempt() -> dict[str, Any]:
        try:
            return {"status": 200, "body": operation()}
        except ApiError as error:
            if not error.stored:
                raise  # nothing was written: the key stays free
            return {"status": error.status, "body": error.body()}

    return run(principal, key, request, attempt, lambda_context)


def _md5(value: Any) -> str:
    # powertools' own hash of a record's key and fingerprint (neither is secret), so both paths share records.
    return hashlib.md5(json.dumps(value, sort_keys=True).encode(), usedforsecurity=False).hexdigest()


def _from_record(record: dict[str, Any], receipt: receipts.Receipt, key: str) -> tuple[dict[str, Any], bool]:
    if record.get("status") != "COMPLETED":
        raise _in_progress()
    if record.get("validation") != receipt.validation:
        raise _reused(key)
    return _replayed(json.loads(record["data"]))["result"], True


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
    receipt = receipts.Receipt(
        record_id=f"{_PREFIX}#{_md5(_scope(principal, key))}",
        validation=_md5(fingerprint(request)),
        expires_at=int(time.time()) + get_settings().idempotency_ttl_seconds,
        encode=lambda body: json.dumps(_for_storage({"result": {"status": 200, "body": body}}), sort_keys=True),
    )
    with receipts.expecting(receipt):
        try:
            body = operation()
            if receipt.recorded is None:
                receipts.record(receipt, body)
            else:  # if expanded after the write: a replay gives what this request gave
                receipts.replace(receipt, body)
        except receipts.Recorded as earlier:
            return _from_record(earlier.record, receipt, key)
        except ApiError:
            if receipt.recorded is not None:  # failed after its change committed: the change's answer stands
                return json.loads(receipt.recorded)["result"], False
            found = receipts.find(receipt.record_id)
            if found is None:
                raise
            return _from_record(found, receipt, key)
    return {"status": 200, "body": body}, False
