"""The API resolver every API function shares: Stripe-shaped errors, Request-Id, JSON replies,
idempotent writes, and the Lambda entry point with logging, tracing and metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.api import idempotency, request
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import UNEXPECTED_MESSAGE, ApiError, Conflict, UnrecognizedUrl
from orgshare.observability import count, logger, metrics, tracer
from orgshare.storage.dynamo import ConditionFailed

if TYPE_CHECKING:
    from orgshare.params.common import Params

# A string: parameter models (pydantic's machinery with them) load with the first request that
# parses one, not with the handler.
P = TypeVar("P", bound="Params")
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body), headers=headers)


def error_response(error: ApiError) -> Response[str]:
    count("ClientErrors" if error.status < 500 else "ServerErrors")
    return _json(error.status, error.body())


class Api:
    """An APIGatewayRestResolver and the few verbs thin handlers need."""

    def __init__(self) -> None:
        # Without powertools' enable_validation: routes read their parameters from the request
        # (read and write below, into Stripe's errors) and take their path parameters as strings,
        # which that validation never refused. It cost its OpenAPI middleware at import and each
        # route's pydantic fields on its first request. A route that turns it on for itself
        # (`enable_validation=True`) still has its errors told in Stripe's words (_invalid_path).
        self.resolver = APIGatewayRestResolver()
        self.resolver.exception_handler(ApiError)(error_response)
        self.resolver.exception_handler(RequestValidationError)(self._invalid_path)
        self.resolver.exception_handler(ConditionFailed)(self._lost_race)
        self.resolver.exception_handler(Exception)(self._unexpected)
        self.resolver.not_found()(self._not_found)
        # Before every route of every function built on this class, whichever route a later change
        # adds: a read-only key cannot write, and only the organization's keys reach its routes.
        self.resolver.use([self._guard])

    def _guard(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        request.guard(app.current_event)
        return next_middleware(app)

    def _invalid_path(self, exc: RequestValidationError) -> Response[str]:
        # A part of the URL the route could not take: told in Stripe's words, as a parameter's fault is.
        from orgshare.params.common import error_for

        first = dict(exc.errors()[0])
        first["loc"] = tuple(p for p in first.get("loc", ()) if p not in ("path", "query", "body")) or ("id",)
        return error_response(error_for(first))

    def _lost_race(self, _exc: ConditionFailed) -> Response[str]:
        # A concurrent write won (and the operation did not retry it itself): the client may retry.
        return error_response(Conflict("The object was changed by a concurrent request; please retry."))

    def _not_found(self, _exc: Exception) -> Response[str]:
        event = self.resolver.current_event
        return error_response(UnrecognizedUrl(event.http_method, event.path))

    def _unexpected(self, exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return _json(500, {"error": {"type": "api_error", "message": UNEXPECTED_MESSAGE}})

    def read(self, model: type[P]) -> tuple[Principal, P]:
        event = self.resolver.current_event
        return request.principal(event), request.params(event, model)

    def base_url(self) -> str:
        return request.public_base_url(self.resolver.current_event)

    def ok(self, body: dict[str, Any]) -> Response[str]:
        return _json(200, body)

    def write(
        self,
        model: type[P],
        operation: Callable[[Principal, P, RequestInfo], dict[str, Any]],
        *,
        publishable: bool = False,
        one_write: bool = False,
    ) -> Response[str]:
        """A POST or DELETE: parse, then run once per Idempotency-Key (validation inside the
        idempotent section, so a request that fails it stores nothing). `publishable`: a
        publishable key may make this call (only what a checkout page needs). `one_write`: the
        operation calls no processor and writes its change in one transaction, which records the
        key too (domain/idempotency.answer_in_write): no claim before it, and nothing after it
        unless an expansion after the write changed the answer."""
        event = self.resolver.current_event
        who = request.principal(event, publishable=publishable)
        info = request.request_info(event)
        raw = request.raw_params(event)
        shape = {"method": event.http_method, "path": event.path, "params": raw}

        def run() -> dict[str, Any]:
            from orgshare.params.common import parse

            return operation(who, parse(model, raw), info)

        if one_write:
            answer, replayed = idempotency.answer_in_write(who, info.idempotency_key, shape, run)
        else:
            answer, replayed = idempotency.answer(who, info.idempotency_key, shape, run, self.resolver.lambda_context)
        if answer["status"] >= 400:
            count("ClientErrors")
        return _json(answer["status"], answer["body"], {"Idempotent-Replayed": "true"} if replayed else None)

    def handler(self) -> Handler:
        """The Lambda entry point: resolve, then stamp the Stripe-style Request-Id header."""

        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
        @tracer.capture_lambda_handler
        @metrics.log_metrics
        def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            count("Requests")
            reply = self.resolver.resolve(event, context)
            authorizer = event.get("requestContext", {}).get("authorizer") or {}
            # The access log: what was asked and answered, never a body or a header.
            logger.info(
                "request",
                extra={"method": event.get("httpMethod"), "path": event.get("path"), "status": reply.get("statusCode"),
                       "account": authorizer.get("account"), "org": authorizer.get("org")},
            )  # fmt: skip
            request_id = "req_" + str(event.get("requestContext", {}).get("requestId", "")).replace("-", "")
            reply.setdefault("multiValueHeaders", {})["Request-Id"] = [request_id]
            return reply

        return lambda_handler
