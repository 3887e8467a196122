"""API Gateway REQUEST authorizer: a secret key to {org, account, kind, pool, mode, key_scope, read_only, ...}
(domain.principal.Principal.as_context). An organization key resolves to its platform account until a
request names another (api.request.principal); a read-only key's writes are refused by every API
function before its route runs (api.request.guard), so this answer holds for every route.

Unknown, revoked or expired keys get a Deny carrying the Stripe message, which the template's
ACCESS_DENIED gateway response renders as a 401 authentication_error. The secret is never logged.

The event and the policy are read and written here, as powertools' APIGatewayAuthorizerRequestEvent
and APIGatewayAuthorizerResponse would (tests/unit/test_cold_import.py holds them to it): importing
those imports every one of powertools' event classes, a twentieth of this function's cold import.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain import auth
from orgshare.errors import AuthenticationFailed
from orgshare.observability import logger, tracer


def header(event: dict[str, Any], name: str) -> str | None:
    """A request header, whatever the case of its name (the last one given, as powertools reads them)."""
    found = None
    for key, value in (event["headers"] or {}).items():
        if key.lower() == name.lower():
            found = value
    return found


def policy(event: dict[str, Any], principal_id: str, effect: str, context: dict[str, Any]) -> dict[str, Any]:
    """`effect` for every method and resource of the API and stage the request came to (its
    methodArn: arn:aws:execute-api:region:account:api/stage/METHOD/resource)."""
    arn = event["methodArn"].split(":")
    api_id, stage = arn[5].split("/")[:2]
    routes = f"arn:{arn[1]}:execute-api:{arn[3]}:{arn[4]}:{api_id}/{stage}/*/*"  # its own partition (aws, aws-cn, ...)
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [routes]}
    answer: dict[str, Any] = {"principalId": principal_id, "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
    if context:
        answer["context"] = context
    return answer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The answer is cached per key, so it must hold for every route of the API.
    try:
        who = auth.authenticate(auth.secret_from_authorization(header(event, "Authorization")))
    except AuthenticationFailed as exc:
        logger.info("authentication refused", extra={"reason": exc.code or "no_key"})
        # The gateway response pastes these into its JSON template as they are: escaped for JSON here.
        refused = {"message": json.dumps(exc.message)[1:-1], "code": exc.code or "api_key_invalid"}
        return policy(event, "anonymous", "Deny", refused)
    return policy(event, who.account, "Allow", who.as_context())
