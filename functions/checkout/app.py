"""Checkout Sessions API: /v1/checkout/sessions (and the confirm call a checkout page's script
makes with a publishable key).

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/checkout/sessions")
def create_session() -> Response[str]:
    from orgshare.domain import expansion
    from orgshare.domain.checkout import sessions

    base = api.base_url()
    return api.write(
        models.checkout.CheckoutSessionCreate,
        lambda who, params, info: expansion.run(who, "checkout.session", params, lambda p: sessions.create(who, p, info, base)),
    )


@app.get("/v1/checkout/sessions")
def list_sessions() -> Response[str]:
    from orgshare.domain import expansion
    from orgshare.domain.checkout import sessions

    who, params = api.read(models.checkout.CheckoutSessionList)
    return api.ok(
        expansion.run(who, "checkout.session", params, lambda p: sessions.list_sessions(who, p, "/v1/checkout/sessions"), in_list=True)
    )


@app.get("/v1/checkout/sessions/<session>")
def retrieve_session(session: str) -> Response[str]:
    from orgshare.domain import expansion
    from orgshare.domain.checkout import sessions

    who, params = api.read(models.checkout.CheckoutSessionRetrieve)
    return api.ok(expansion.run(who, "checkout.session", params, lambda _p: sessions.retrieve(who, session)))


@app.get("/v1/checkout/sessions/<session>/line_items")
def list_line_items(session: str) -> Response[str]:
    from orgshare.domain.checkout import sessions

    who, params = api.read(models.checkout.CheckoutSessionLineItems)
    return api.ok(sessions.line_items(who, session, params, f"/v1/checkout/sessions/{session}/line_items"))


@app.post("/v1/checkout/sessions/<session>/expire")
def expire_session(session: str) -> Response[str]:
    from orgshare.domain import expansion
    from orgshare.domain.checkout import sessions

    return api.write(
        models.checkout.CheckoutSessionExpire,
        lambda who, params, info: expansion.run(who, "checkout.session", params, lambda _p: sessions.expire(who, session, info)),
    )


@app.post("/v1/checkout/sessions/<session>/confirm")
def confirm_session(session: str) -> Response[str]:
    from orgshare.domain.checkout import confirmation

    return api.write(
        models.checkout.CheckoutSessionConfirm, lambda who, params, info: confirmation.confirm(who, session, params, info), publishable=True
    )


lambda_handler = api.handler()
