"""PaymentIntents, charges and refunds: /v1/payment_intents, /v1/charges, /v1/refunds."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import charges, payments, refunds
from orgshare.params.payments import (
    ChargeList,
    ChargeRefundList,
    ChargeRetrieve,
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentList,
    PaymentIntentRetrieve,
    PaymentIntentUpdate,
    RefundCreate,
    RefundList,
)

api = Api()
app = api.resolver


@app.post("/v1/payment_intents")
def create_payment_intent() -> Response[str]:
    return api.write(PaymentIntentCreate, payments.create)


@app.get("/v1/payment_intents")
def list_payment_intents() -> Response[str]:
    who, params = api.read(PaymentIntentList)
    return api.ok(payments.list_intents(who, params, "/v1/payment_intents"))


@app.get("/v1/payment_intents/<intent>")
def retrieve_payment_intent(intent: str) -> Response[str]:
    who, params = api.read(PaymentIntentRetrieve)
    return api.ok(payments.retrieve(who, intent, params))


@app.post("/v1/payment_intents/<intent>")
def update_payment_intent(intent: str) -> Response[str]:
    return api.write(PaymentIntentUpdate, lambda who, params, info: payments.update(who, intent, params, info))


@app.post("/v1/payment_intents/<intent>/confirm")
def confirm_payment_intent(intent: str) -> Response[str]:
    return api.write(PaymentIntentConfirm, lambda who, params, info: payments.confirm(who, intent, params, info))


@app.post("/v1/payment_intents/<intent>/capture")
def capture_payment_intent(intent: str) -> Response[str]:
    return api.write(PaymentIntentCapture, lambda who, params, info: payments.capture(who, intent, params, info))


@app.post("/v1/payment_intents/<intent>/cancel")
def cancel_payment_intent(intent: str) -> Response[str]:
    return api.write(PaymentIntentCancel, lambda who, params, info: payments.cancel(who, intent, params, info))


@app.get("/v1/charges")
def list_charges() -> Response[str]:
    who, params = api.read(ChargeList)
    return api.ok(charges.list_charges(who, params, "/v1/charges"))


@app.get("/v1/charges/<charge>")
def retrieve_charge(charge: str) -> Response[str]:
    who, params = api.read(ChargeRetrieve)
    return api.ok(charges.retrieve(who, charge, params))


@app.get("/v1/charges/<charge>/refunds")
def list_charge_refunds(charge: str) -> Response[str]:
    who, params = api.read(ChargeRefundList)
    return api.ok(charges.list_refunds(who, charge, params, f"/v1/charges/{charge}/refunds"))


@app.post("/v1/refunds")
def create_refund() -> Response[str]:
    return api.write(RefundCreate, refunds.create)


@app.get("/v1/refunds")
def list_refunds() -> Response[str]:
    who, params = api.read(RefundList)
    return api.ok(refunds.list_refunds(who, params, "/v1/refunds"))


@app.get("/v1/refunds/<refund>")
def retrieve_refund(refund: str) -> Response[str]:
    who, _params = api.read(PaymentIntentRetrieve)
    return api.ok(refunds.retrieve(who, refund))


lambda_handler = api.handler()
