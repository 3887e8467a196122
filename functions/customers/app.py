"""Customers API: /v1/customers, and /v1/customers/search.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/customers")
def create_customer() -> Response[str]:
    from orgshare.domain import customers

    return api.write(models.customers.CustomerCreate, customers.create, one_write=True)


@app.get("/v1/customers")
def list_customers() -> Response[str]:
    from orgshare.domain import customers

    who, params = api.read(models.customers.CustomerList)
    return api.ok(customers.list_customers(who, params, "/v1/customers"))


# A static route: powertools tries static routes before dynamic ones whatever their order, and
# API Gateway prefers a literal segment to {customer}, so "search" is never read as an id.
@app.get("/v1/customers/search")
def search_customers() -> Response[str]:
    from orgshare.domain import customer_search

    who, params = api.read(models.customers.CustomerSearch)
    return api.ok(customer_search.search(who, params, "/v1/customers/search"))


@app.get("/v1/customers/<customer>")
def retrieve_customer(customer: str) -> Response[str]:
    from orgshare.domain import customers

    who, params = api.read(models.customers.CustomerRetrieve)
    return api.ok(customers.retrieve(who, customer, params))


@app.post("/v1/customers/<customer>")
def update_customer(customer: str) -> Response[str]:
    from orgshare.domain import customers

    return api.write(
        models.customers.CustomerUpdate, lambda who, params, info: customers.update(who, customer, params, info), one_write=True
    )


@app.delete("/v1/customers/<customer>")
def delete_customer(customer: str) -> Response[str]:
    from orgshare.domain import customers

    return api.write(models.common.Params, lambda who, _params, info: customers.delete(who, customer, info), one_write=True)


lambda_handler = api.handler()
