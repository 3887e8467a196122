"""Webhook endpoints API: /v1/webhook_endpoints (account endpoints, and the platform's
organization endpoints with scope=organization).

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/webhook_endpoints")
def create_webhook_endpoint() -> Response[str]:
    from orgshare.domain import webhooks

    return api.write(models.webhooks.WebhookEndpointCreate, lambda who, params, _info: webhooks.create(who, params))


@app.get("/v1/webhook_endpoints")
def list_webhook_endpoints() -> Response[str]:
    from orgshare.domain import webhooks

    who, params = api.read(models.webhooks.WebhookEndpointList)
    return api.ok(webhooks.list_endpoints(who, params, "/v1/webhook_endpoints"))


@app.get("/v1/webhook_endpoints/<endpoint>")
def retrieve_webhook_endpoint(endpoint: str) -> Response[str]:
    from orgshare.domain import webhooks

    who, _params = api.read(models.webhooks.WebhookEndpointRetrieve)
    return api.ok(webhooks.retrieve(who, endpoint))


@app.post("/v1/webhook_endpoints/<endpoint>")
def update_webhook_endpoint(endpoint: str) -> Response[str]:
    from orgshare.domain import webhooks

    return api.write(models.webhooks.WebhookEndpointUpdate, lambda who, params, _info: webhooks.update(who, endpoint, params))


@app.delete("/v1/webhook_endpoints/<endpoint>")
def delete_webhook_endpoint(endpoint: str) -> Response[str]:
    from orgshare.domain import webhooks

    return api.write(models.common.Params, lambda who, _params, _info: webhooks.delete(who, endpoint))


lambda_handler = api.handler()
