"""SetupIntents API: /v1/setup_intents (saving a card without paying)."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import setup_intents
from orgshare.params.checkout import (
    SetupIntentCancel,
    SetupIntentConfirm,
    SetupIntentCreate,
    SetupIntentList,
    SetupIntentRetrieve,
    SetupIntentUpdate,
)

api = Api()
app = api.resolver


@app.post("/v1/setup_intents")
def create_setup_intent() -> Response[str]:
    return api.write(SetupIntentCreate, setup_intents.create)


@app.get("/v1/setup_intents")
def list_setup_intents() -> Response[str]:
    who, params = api.read(SetupIntentList)
    return api.ok(setup_intents.list_intents(who, params, "/v1/setup_intents"))


@app.get("/v1/setup_intents/<setup_intent>")
def retrieve_setup_intent(setup_intent: str) -> Response[str]:
    who, _params = api.read(SetupIntentRetrieve)
    return api.ok(setup_intents.retrieve(who, setup_intent))


@app.post("/v1/setup_intents/<setup_intent>")
def update_setup_intent(setup_intent: str) -> Response[str]:
    return api.write(SetupIntentUpdate, lambda who, params, info: setup_intents.update(who, setup_intent, params, info))


@app.post("/v1/setup_intents/<setup_intent>/confirm")
def confirm_setup_intent(setup_intent: str) -> Response[str]:
    return api.write(SetupIntentConfirm, lambda who, params, info: setup_intents.confirm(who, setup_intent, params, info))


@app.post("/v1/setup_intents/<setup_intent>/cancel")
def cancel_setup_intent(setup_intent: str) -> Response[str]:
    return api.write(SetupIntentCancel, lambda who, params, info: setup_intents.cancel(who, setup_intent, params, info))


lambda_handler = api.handler()
