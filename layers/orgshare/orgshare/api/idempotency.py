"""Idempotency-Key on POSTs, through powertools' idempotency utility (DynamoDB persistence).

The key is scoped to the organization, mode and acting account; the stored fingerprint is the
method, path and parameters, so the same key with other parameters or on another endpoint is an
idempotency_error. A request that raises (bad input, missing object) leaves no record behind.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain.principal import Principal
from orgshare.errors import IdempotencyFailed, IdempotencyInProgress, InvalidRequest
from orgshare.settings import get_settings
from orgshare.storage.dynamo import client

MAX_KEY_LENGTH = 255


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table, boto3_client=client())


def _mark_replay(response: Any, idempotent_data: DataRecord) -> Any:
    del idempotent_data
    return {**response, "replayed": True}


def run(
    principal: Principal,
    key: str | None,
    fingerprint: dict[str, Any],
    operation: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext | None,
) -> tuple[dict[str, Any], bool]:
    """The operation's result, or the stored result of an earlier request with the same key,
    and whether it was a replay."""
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

    guarded = idempotent_function(data_keyword_argument="data", persistence_store=_persistence(), config=config)(once)
    data = {"scope": [principal.org, principal.mode, principal.account, key], "request": fingerprint}
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
