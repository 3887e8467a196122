"""SetupIntents API: /v1/setup_intents (saving a card without paying).

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/setup_intents")
def create_setup_intent() -> Response[str]:
    from orgshare.domain import setup_intents

    return api.write(models.checkout.SetupIntentCreate, setup_intents.create)


@app.get("/v1/setup_intents")
def list_setup_intents() -> Response[str]:
    from orgshare.domain import setup_intents

    who, params = api.read(models.checkout.SetupIntentList)
    return api.ok(setup_intents.list_intents(who, params, "/v1/setup_intents"))


@app.get("/v1/setup_intents/<setup_intent>")
def retrieve_setup_intent(setup_intent: str) -> Response[str]:
    from orgshare.domain import setup_intents

    who, _params = api.read(models.checkout.SetupIntentRetrieve)
    return api.ok(setup_intents.retrieve(who, setup_intent))


@app.post("/v1/setup_intents/<setup_intent>")
def update_setup_intent(setup_intent: str) -> Response[str]:
    from orgshare.domain import setup_intents

    return api.write(models.checkout.SetupIntentUpdate, lambda who, params, info: setup_intents.update(who, setup_intent, params, info))


@app.post("/v1/setup_intents/<setup_intent>/confirm")
def confirm_setup_intent(setup_intent: str) -> Response[str]:
    from orgshare.domain import setup_intents

    return api.write(models.checkout.SetupIntentConfirm, lambda who, params, info: setup_intents.confirm(who, setup_intent, params, info))


@app.post("/v1/setup_intents/<setup_intent>/cancel")
def cancel_setup_intent(setup_intent: str) -> Response[str]:
    from orgshare.domain import setup_intents

    return api.write(models.checkout.SetupIntentCancel, lambda who, params, info: setup_intents.cancel(who, setup_intent, params, info))


lambda_handler = api.handler()
