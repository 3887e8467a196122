"""The dashboard: HTML pages for the organization and its accounts. No API key: a sign-in session's
cookie authenticates each request, checked here (web/dashboard/guard.py), never by the authorizer."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.observability import logger, tracer
from orgshare.web.dashboard import errors
from orgshare.web.dashboard.pages import PAGES

app = APIGatewayRestResolver()
for module in PAGES:
    app.include_router(module.router)
errors.install(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reply = app.resolve(event, context)
    # The access log: never a body (a key signing in) or a header (the session cookie).
    logger.info("dashboard", extra={"method": event.get("httpMethod"), "path": event.get("path"), "status": reply.get("statusCode")})
    return reply
