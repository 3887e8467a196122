"""PaymentMethods API: /v1/payment_methods and a customer's payment methods.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/payment_methods")
def create_payment_method() -> Response[str]:
    from orgshare.domain import payment_methods

    return api.write(
        models.payment_methods.PaymentMethodCreate, payment_methods.create, publishable=True, one_write=True
    )  # a checkout page's card


@app.get("/v1/payment_methods")
def list_payment_methods() -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    who, params = api.read(models.payment_methods.PaymentMethodList)
    return api.ok(
        expansion.run(
            who, "payment_method", params, lambda p: payment_methods.list_payment_methods(who, p, "/v1/payment_methods"), in_list=True
        )
    )


@app.get("/v1/payment_methods/<payment_method>")
def retrieve_payment_method(payment_method: str) -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    who, params = api.read(models.payment_methods.PaymentMethodRetrieve)
    return api.ok(expansion.run(who, "payment_method", params, lambda p: payment_methods.retrieve(who, payment_method, p)))


@app.post("/v1/payment_methods/<payment_method>")
def update_payment_method(payment_method: str) -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    return api.write(
        models.payment_methods.PaymentMethodUpdate,
        lambda who, params, info: expansion.run(
            who, "payment_method", params, lambda p: payment_methods.update(who, payment_method, p, info)
        ),
        one_write=True,
    )


@app.post("/v1/payment_methods/<payment_method>/attach")
def attach_payment_method(payment_method: str) -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    return api.write(
        models.payment_methods.PaymentMethodAttach,
        lambda who, params, info: expansion.run(
            who, "payment_method", params, lambda p: payment_methods.attach(who, payment_method, p, info)
        ),
        # A test token (pm_card_visa) first makes a card in a write of its own, which a claim must guard.
        one_write=not payment_methods.is_test_token(payment_method),
    )


@app.post("/v1/payment_methods/<payment_method>/detach")
def detach_payment_method(payment_method: str) -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    return api.write(
        models.payment_methods.PaymentMethodDetach,
        lambda who, params, info: expansion.run(
            who, "payment_method", params, lambda _p: payment_methods.detach(who, payment_method, info)
        ),
        one_write=True,
    )


@app.get("/v1/payment_methods/<payment_method>/usage")
def payment_method_usage(payment_method: str) -> Response[str]:
    from orgshare.domain import payment_methods

    who, params = api.read(models.payment_methods.PaymentMethodUsageList)
    return api.ok(payment_methods.usage(who, payment_method, params, f"/v1/payment_methods/{payment_method}/usage"))


@app.get("/v1/customers/<customer>/payment_methods")
def list_customer_payment_methods(customer: str) -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    who, params = api.read(models.payment_methods.CustomerPaymentMethodList)
    url = f"/v1/customers/{customer}/payment_methods"
    return api.ok(
        expansion.run(who, "payment_method", params, lambda p: payment_methods.list_for_customer(who, customer, p, url), in_list=True)
    )


@app.get("/v1/customers/<customer>/payment_methods/<payment_method>")
def retrieve_customer_payment_method(customer: str, payment_method: str) -> Response[str]:
    from orgshare.domain import expansion, payment_methods

    who, params = api.read(models.payment_methods.PaymentMethodRetrieve)
    return api.ok(
        expansion.run(who, "payment_method", params, lambda p: payment_methods.retrieve(who, payment_method, p, customer=customer))
    )


lambda_handler = api.handler()
