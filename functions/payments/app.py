"""PaymentIntents, charges and refunds: /v1/payment_intents, /v1/charges, /v1/refunds.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api
from orgshare.domain.principal import Principal

api = Api()
app = api.resolver
P = TypeVar("P", bound="models.common.Params")  # a string: naming the model now would import it


def _intent(who: Principal, params: P, operation: Callable[[P], dict[str, Any]]) -> dict[str, Any]:
    """A payment intent's answer with expand[] (customer, payment_method, latest_charge and below)."""
    from orgshare.domain import expansion, payments

    return expansion.run(who, "payment_intent", params, operation, handled=payments.EXPANDABLE)


@app.post("/v1/payment_intents")
def create_payment_intent() -> Response[str]:
    from orgshare.domain import payments

    return api.write(
        models.payments.PaymentIntentCreate, lambda who, params, info: _intent(who, params, lambda p: payments.create(who, p, info))
    )


@app.get("/v1/payment_intents")
def list_payment_intents() -> Response[str]:
    from orgshare.domain import expansion, payment_intent_lists, payments

    who, params = api.read(models.payments.PaymentIntentList)
    listed = expansion.run(who, "payment_intent", params, lambda p: payment_intent_lists.list_intents(who, p, "/v1/payment_intents"),
                           handled=payments.EXPANDABLE, in_list=True)  # fmt: skip
    return api.ok(listed)


@app.get("/v1/payment_intents/<intent>")
def retrieve_payment_intent(intent: str) -> Response[str]:
    from orgshare.domain import payments

    who, params = api.read(models.payments.PaymentIntentRetrieve)
    return api.ok(_intent(who, params, lambda p: payments.retrieve(who, intent, p)))


@app.post("/v1/payment_intents/<intent>")
def update_payment_intent(intent: str) -> Response[str]:
    from orgshare.domain import payments

    return api.write(
        models.payments.PaymentIntentUpdate, lambda who, params, info: _intent(who, params, lambda p: payments.update(who, intent, p, info))
    )


@app.post("/v1/payment_intents/<intent>/confirm")
def confirm_payment_intent(intent: str) -> Response[str]:
    from orgshare.domain import payments

    return api.write(
        models.payments.PaymentIntentConfirm,
        lambda who, params, info: _intent(who, params, lambda p: payments.confirm(who, intent, p, info)),
    )


@app.post("/v1/payment_intents/<intent>/capture")
def capture_payment_intent(intent: str) -> Response[str]:
    from orgshare.domain import payments

    return api.write(
        models.payments.PaymentIntentCapture,
        lambda who, params, info: _intent(who, params, lambda p: payments.capture(who, intent, p, info)),
    )


@app.post("/v1/payment_intents/<intent>/cancel")
def cancel_payment_intent(intent: str) -> Response[str]:
    from orgshare.domain import payments

    return api.write(
        models.payments.PaymentIntentCancel, lambda who, params, info: _intent(who, params, lambda p: payments.cancel(who, intent, p, info))
    )


@app.get("/v1/charges")
def list_charges() -> Response[str]:
    from orgshare.domain import charges, expansion

    who, params = api.read(models.payments.ChargeList)
    listed = expansion.run(who, "charge", params, lambda p: charges.list_charges(who, p, "/v1/charges"), handled=charges.EXPANDABLE,
                           in_list=True)  # fmt: skip
    return api.ok(listed)


@app.get("/v1/charges/<charge>")
def retrieve_charge(charge: str) -> Response[str]:
    from orgshare.domain import charges, expansion

    who, params = api.read(models.payments.ChargeRetrieve)
    return api.ok(expansion.run(who, "charge", params, lambda p: charges.retrieve(who, charge, p), handled=charges.EXPANDABLE))


@app.get("/v1/charges/<charge>/refunds")
def list_charge_refunds(charge: str) -> Response[str]:
    from orgshare.domain import charges

    who, params = api.read(models.payments.ChargeRefundList)
    return api.ok(charges.list_refunds(who, charge, params, f"/v1/charges/{charge}/refunds"))


@app.post("/v1/refunds")
def create_refund() -> Response[str]:
    from orgshare.domain import expansion, refunds

    return api.write(
        models.payments.RefundCreate, lambda who, params, info: expansion.run(who, "refund", params, lambda p: refunds.create(who, p, info))
    )


@app.get("/v1/refunds")
def list_refunds() -> Response[str]:
    from orgshare.domain import expansion, refunds

    who, params = api.read(models.payments.RefundList)
    return api.ok(expansion.run(who, "refund", params, lambda p: refunds.list_refunds(who, p, "/v1/refunds"), in_list=True))


@app.get("/v1/refunds/<refund>")
def retrieve_refund(refund: str) -> Response[str]:
    from orgshare.domain import expansion, refunds

    who, params = api.read(models.payments.PaymentIntentRetrieve)
    return api.ok(expansion.run(who, "refund", params, lambda _p: refunds.retrieve(who, refund)))


@app.post("/v1/refunds/<refund>")
def update_refund(refund: str) -> Response[str]:
    from orgshare.domain import expansion, refunds

    return api.write(
        models.payments.RefundUpdate,
        lambda who, params, info: expansion.run(who, "refund", params, lambda p: refunds.update(who, refund, p, info)),
    )


lambda_handler = api.handler()
