"""The organization's view for the platform: a customer across the organization, and the lists of
customers, payment intents and refunds across its accounts (read from the projection the
projector keeps, see functions/org_projector)."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain.organization import customer_view, org_lists
from orgshare.params.org_view import OrgCustomerList, OrgCustomerRetrieve, OrgPaymentIntentList, OrgRefundList

api = Api()
app = api.resolver
CUSTOMERS = "/v1/organization/customers"
PAYMENT_INTENTS = "/v1/organization/payment_intents"
REFUNDS = "/v1/organization/refunds"


@app.get(CUSTOMERS)
def list_customers() -> Response[str]:
    who, params = api.read(OrgCustomerList)
    return api.ok(org_lists.list_customers(who, params, CUSTOMERS))


@app.get(CUSTOMERS + "/<customer>")
def retrieve_customer(customer: str) -> Response[str]:
    who, _params = api.read(OrgCustomerRetrieve)
    return api.ok(customer_view.retrieve(who, customer))


@app.get(PAYMENT_INTENTS)
def list_payment_intents() -> Response[str]:
    who, params = api.read(OrgPaymentIntentList)
    return api.ok(org_lists.list_payment_intents(who, params, PAYMENT_INTENTS))


@app.get(REFUNDS)
def list_refunds() -> Response[str]:
    who, params = api.read(OrgRefundList)
    return api.ok(org_lists.list_refunds(who, params, REFUNDS))


lambda_handler = api.handler()
