"""Webhook endpoints API: /v1/webhook_endpoints (account endpoints, and the platform's
organization endpoints with scope=organization)."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import webhooks
from orgshare.params.common import Params
from orgshare.params.webhooks import WebhookEndpointCreate, WebhookEndpointList, WebhookEndpointRetrieve, WebhookEndpointUpdate

api = Api()
app = api.resolver


@app.post("/v1/webhook_endpoints")
def create_webhook_endpoint() -> Response[str]:
    return api.write(WebhookEndpointCreate, lambda who, params, _info: webhooks.create(who, params))


@app.get("/v1/webhook_endpoints")
def list_webhook_endpoints() -> Response[str]:
    who, params = api.read(WebhookEndpointList)
    return api.ok(webhooks.list_endpoints(who, params, "/v1/webhook_endpoints"))


@app.get("/v1/webhook_endpoints/<endpoint>")
def retrieve_webhook_endpoint(endpoint: str) -> Response[str]:
    who, _params = api.read(WebhookEndpointRetrieve)
    return api.ok(webhooks.retrieve(who, endpoint))


@app.post("/v1/webhook_endpoints/<endpoint>")
def update_webhook_endpoint(endpoint: str) -> Response[str]:
    return api.write(WebhookEndpointUpdate, lambda who, params, _info: webhooks.update(who, endpoint, params))


@app.delete("/v1/webhook_endpoints/<endpoint>")
def delete_webhook_endpoint(endpoint: str) -> Response[str]:
    return api.write(Params, lambda who, _params, _info: webhooks.delete(who, endpoint))


lambda_handler = api.handler()
