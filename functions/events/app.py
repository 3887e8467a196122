"""Events API: /v1/events, an event's delivery attempts, and sending it again to an endpoint."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import events, webhooks
from orgshare.params.events import EventList, EventRetrieve, EventRetry

api = Api()
app = api.resolver


@app.get("/v1/events")
def list_events() -> Response[str]:
    who, params = api.read(EventList)
    return api.ok(events.list_events(who, params, "/v1/events"))


@app.get("/v1/events/<event>")
def retrieve_event(event: str) -> Response[str]:
    who, _params = api.read(EventRetrieve)
    return api.ok(events.retrieve_event(who, event))


@app.get("/v1/events/<event>/delivery_attempts")
def list_delivery_attempts(event: str) -> Response[str]:
    who, _params = api.read(EventRetrieve)
    return api.ok(events.delivery_attempts(who, event, f"/v1/events/{event}/delivery_attempts"))


@app.post("/v1/events/<event>/retry")
def retry_event(event: str) -> Response[str]:
    return api.write(EventRetry, lambda who, params, _info: webhooks.retry(who, event, params))


lambda_handler = api.handler()
