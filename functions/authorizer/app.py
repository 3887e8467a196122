"""API Gateway REQUEST authorizer: a secret key to {org, account, kind, pool, mode, key_scope, read_only, ...}
(domain.principal.Principal.as_context). An organization key resolves to its platform account until a
request names another (api.request.principal); a read-only key's writes are refused by every API
function before its route runs (api.request.guard), so this answer holds for every route.

Unknown, revoked or expired keys get a Deny carrying the Stripe message, which the template's
ACCESS_DENIED gateway response renders as a 401 authentication_error. The secret is never logged.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain import auth
from orgshare.errors import AuthenticationFailed
from orgshare.observability import logger, tracer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def lambda_handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    arn = event.parsed_arn
    # The answer is cached per key, so it must hold for every route of the API.
    policy = APIGatewayAuthorizerResponse(
        principal_id="anonymous", region=arn.region, aws_account_id=arn.aws_account_id, api_id=arn.api_id, stage=arn.stage
    )
    try:
        who = auth.authenticate(auth.secret_from_authorization(event.headers.get("Authorization")))
    except AuthenticationFailed as exc:
        logger.info("authentication refused", extra={"reason": exc.code or "no_key"})
        # The gateway response pastes these into its JSON template as they are: escaped for JSON here.
        policy.context = {"message": json.dumps(exc.message)[1:-1], "code": exc.code or "api_key_invalid"}
        policy.deny_all_routes()
        return policy.asdict()
    policy.principal_id = who.account
    policy.context = who.as_context()
    policy.allow_all_routes()
    return policy.asdict()
