"""The organization's view for the platform: a customer across the organization, and the lists of
customers, payment intents and refunds across its accounts (read from the projection the
projector keeps, see functions/org_projector).

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver
CUSTOMERS = "/v1/organization/customers"
PAYMENT_INTENTS = "/v1/organization/payment_intents"
REFUNDS = "/v1/organization/refunds"


@app.get(CUSTOMERS)
def list_customers() -> Response[str]:
    from orgshare.domain.organization import org_lists

    who, params = api.read(models.org_view.OrgCustomerList)
    return api.ok(org_lists.list_customers(who, params, CUSTOMERS))


@app.get(CUSTOMERS + "/<customer>")
def retrieve_customer(customer: str) -> Response[str]:
    from orgshare.domain.organization import customer_view

    who, _params = api.read(models.org_view.OrgCustomerRetrieve)
    return api.ok(customer_view.retrieve(who, customer))


@app.get(PAYMENT_INTENTS)
def list_payment_intents() -> Response[str]:
    from orgshare.domain.organization import org_lists

    who, params = api.read(models.org_view.OrgPaymentIntentList)
    return api.ok(org_lists.list_payment_intents(who, params, PAYMENT_INTENTS))


@app.get(REFUNDS)
def list_refunds() -> Response[str]:
    from orgshare.domain.organization import org_lists

    who, params = api.read(models.org_view.OrgRefundList)
    return api.ok(org_lists.list_refunds(who, params, REFUNDS))


lambda_handler = api.handler()
