"""Customers API: /v1/customers."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import customers
from orgshare.params.common import Params
from orgshare.params.customers import CustomerCreate, CustomerList, CustomerRetrieve, CustomerUpdate

api = Api()
app = api.resolver


@app.post("/v1/customers")
def create_customer() -> Response[str]:
    return api.write(CustomerCreate, customers.create)


@app.get("/v1/customers")
def list_customers() -> Response[str]:
    who, params = api.read(CustomerList)
    return api.ok(customers.list_customers(who, params, "/v1/customers"))


@app.get("/v1/customers/<customer>")
def retrieve_customer(customer: str) -> Response[str]:
    who, params = api.read(CustomerRetrieve)
    return api.ok(customers.retrieve(who, customer, params))


@app.post("/v1/customers/<customer>")
def update_customer(customer: str) -> Response[str]:
    return api.write(CustomerUpdate, lambda who, params, info: customers.update(who, customer, params, info))


@app.delete("/v1/customers/<customer>")
def delete_customer(customer: str) -> Response[str]:
    return api.write(Params, lambda who, _params, info: customers.delete(who, customer, info))


lambda_handler = api.handler()
