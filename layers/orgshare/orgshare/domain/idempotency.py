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

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.custom_dict import CustomDictSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain.checkout import secrets as checkout_secrets
from orgshare.domain.principal import Principal
from orgshare.errors import ApiError, IdempotencyFailed, IdempotencyInProgress, InvalidRequest
from orgshare.settings import get_settings
from orgshare.storage.idempotency import persistence
from orgshare.vault.keyed_hash import IDEMPOTENCY, keyed_hash

MAX_KEY_LENGTH = 255
_NEVER_KEPT = frozenset({"cvc", "cvv"})  # PCI DSS 3.3.1.2: no security code in any form after the request
_ONE_TIME_SECRETS = ("secret",)  # response fields shown once: API key secrets, webhook signing secrets


def _mark_replay(response: Any, idempotent_data: DataRecord) -> Any:
    del idempotent_data
    body = response.get("result", {}).get("body")
    if isinstance(body, dict) and body.get("object") == "checkout.session":
        response = {**response, "result": {**response["result"], "body": checkout_secrets.reveal(body)}}
    return {**response, "replayed": True}


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


_SERIALIZER = CustomDictSerializer(to_dict=_for_storage, from_dict=lambda stored: stored)


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
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.", code="idempotency_key_invalid")
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

    guarded = idempotent_function(
        data_keyword_argument="data", persistence_store=persistence(), config=config, output_serializer=_SERIALIZER
    )(once)
    # Keys of a publishable key (public) and of the secret keys never meet: one cannot block or replay the other's;
    # nor do an organization key's and the platform's (one may make calls the other may not).
    kind = principal.key_type if principal.key_scope == "account" else "organization"
    data = {"scope": [principal.org, principal.mode, principal.account, kind, key], "request": fingerprint(request)}
    try:
        answer = guarded(data=data)
    except IdempotencyValidationError:
        raise IdempotencyFailed(
            f"Keys for idempotent requests can only be used with the same parameters they were first used with. "
            f"Try using a key other than '{key}' if you meant to execute a different request.",
            code="idempotency_key_reused",
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyInProgress(
            "There is currently another in-progress request using this Idempotency-Key. Please try again later.",
            code="idempotency_key_in_use",
        ) from None
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
