"""Stripe-shaped API errors. Domain code raises these; the API layer renders them."""

from __future__ import annotations

from typing import Any

DOC_URL = "https://docs.stripe.com/error-codes"


class ApiError(Exception):
    status = 400
    type = "invalid_request_error"
    code: str | None = None  # a subclass's default code
    # True for an error raised after its request's changes were committed (a card decline): the
    # idempotency layer stores it as the answer instead of forgetting the request.
    stored = False

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else type(self).code
        self.param = param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"{DOC_URL}#{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


class InvalidRequest(ApiError):
    pass


class ResourceMissing(InvalidRequest):
    status = 404

    def __init__(self, kind: str, object_id: str, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class UnrecognizedUrl(InvalidRequest):
    status = 404

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"Unrecognized request URL ({method}: {path}).")


class AuthenticationFailed(ApiError):
    status = 401
    type = "authentication_error"


class PermissionDenied(ApiError):
    status = 403
    type = "permission_error"


class ProcessorUnavailable(ApiError):
    """The payment processor could not be reached or failed. Nothing changed here, and retrying the
    same request reaches the processor with the same idempotency key, so it cannot charge twice."""

    status = 502
    type = "api_error"


class CardError(ApiError):
    status = 402
    type = "card_error"


class IdempotencyFailed(ApiError):
    type = "idempotency_error"


class IdempotencyInProgress(ApiError):
    status = 409
    type = "idempotency_error"


class Conflict(ApiError):
    # Lost a race with a concurrent write: safe for the client to retry.
    status = 409
    type = "api_error"
    code = "lock_timeout"


class PayloadTooLarge(InvalidRequest):
    status = 413
