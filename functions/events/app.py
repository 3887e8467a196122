"""Events API: /v1/events, an event's delivery attempts, and sending it again to an endpoint.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.get("/v1/events")
def list_events() -> Response[str]:
    from orgshare.domain import events

    who, params = api.read(models.events.EventList)
    return api.ok(events.list_events(who, params, "/v1/events"))


@app.get("/v1/events/<event>")
def retrieve_event(event: str) -> Response[str]:
    from orgshare.domain import events

    who, _params = api.read(models.events.EventRetrieve)
    return api.ok(events.retrieve_event(who, event))


@app.get("/v1/events/<event>/delivery_attempts")
def list_delivery_attempts(event: str) -> Response[str]:
    from orgshare.domain import events

    who, _params = api.read(models.events.EventRetrieve)
    return api.ok(events.delivery_attempts(who, event, f"/v1/events/{event}/delivery_attempts"))


@app.post("/v1/events/<event>/retry")
def retry_event(event: str) -> Response[str]:
    from orgshare.domain import webhooks

    return api.write(models.events.EventRetry, lambda who, params, _info: webhooks.retry(who, event, params))


lambda_handler = api.handler()
