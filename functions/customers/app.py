"""Customers API: /v1/customers, and /v1/customers/search."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import customer_search, customers
from orgshare.params.common import Params
from orgshare.params.customers import CustomerCreate, CustomerList, CustomerRetrieve, CustomerSearch, CustomerUpdate

api = Api()
app = api.resolver


@app.post("/v1/customers")
def create_customer() -> Response[str]:
    return api.write(CustomerCreate, customers.create, one_write=True)


@app.get("/v1/customers")
def list_customers() -> Response[str]:
    who, params = api.read(CustomerList)
    return api.ok(customers.list_customers(who, params, "/v1/customers"))


# A static route: powertools tries static routes before dynamic ones whatever their order, and
# API Gateway prefers a literal segment to {customer}, so "search" is never read as an id.
@app.get("/v1/customers/search")
def search_customers() -> Response[str]:
    who, params = api.read(CustomerSearch)
    return api.ok(customer_search.search(who, params, "/v1/customers/search"))


@app.get("/v1/customers/<customer>")
def retrieve_customer(customer: str) -> Response[str]:
    who, params = api.read(CustomerRetrieve)
    return api.ok(customers.retrieve(who, customer, params))


@app.post("/v1/customers/<customer>")
def update_customer(customer: str) -> Response[str]:
    return api.write(CustomerUpdate, lambda who, params, info: customers.update(who, customer, params, info), one_write=True)


@app.delete("/v1/customers/<customer>")
def delete_customer(customer: str) -> Response[str]:
    return api.write(Params, lambda who, _params, info: customers.delete(who, customer, info), one_write=True)


lambda_handler = api.handler()
