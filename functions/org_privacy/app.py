"""The organization's privacy API for the platform: erasing a customer across the organization,
the erasure records, and a customer's consent records (listed, and exported as a download).

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

import json

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver
ERASURES = "/v1/organization/customer_erasures"
_RESERVE_SECONDS = 5.0  # of the function's time, for answering once the erasure's budget is spent


def _budget() -> float:
    from orgshare.domain.organization import erasure

    context = app.lambda_context
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else erasure.DEFAULT_BUDGET_SECONDS
    return max(1.0, min(erasure.DEFAULT_BUDGET_SECONDS, remaining - _RESERVE_SECONDS))


@app.post("/v1/organization/customers/<customer>/erase")
def erase_customer(customer: str) -> Response[str]:
    from orgshare.domain.organization import erasure

    return api.write(models.org_privacy.CustomerErase, lambda who, params, info: erasure.erase(who, customer, params, info, _budget()))


@app.get(ERASURES)
def list_erasures() -> Response[str]:
    from orgshare.domain.organization import erasure

    who, params = api.read(models.org_privacy.CustomerErasureList)
    return api.ok(erasure.list_erasures(who, params, ERASURES))


@app.get(ERASURES + "/<erasure_id>")
def retrieve_erasure(erasure_id: str) -> Response[str]:
    from orgshare.domain.organization import erasure

    who, _params = api.read(models.org_privacy.CustomerErasureRetrieve)
    return api.ok(erasure.retrieve(who, erasure_id))


@app.get("/v1/organization/customers/<customer>/consents")
def list_consents(customer: str) -> Response[str]:
    from orgshare.domain.organization import consents

    who, params = api.read(models.org_privacy.ConsentList)
    return api.ok(consents.list_consents(who, customer, params, f"/v1/organization/customers/{customer}/consents"))


@app.get("/v1/organization/customers/<customer>/consents/export")
def export_consents(customer: str) -> Response[str]:
    from orgshare.domain.organization import consents

    who, params = api.read(models.org_privacy.ConsentExport)
    document = consents.export(who, customer, params)
    # A download: the file a data subject (or an auditor) is handed, named after the customer.
    headers = {"Content-Disposition": f'attachment; filename="consents-{document["customer"]}.json"'}
    return Response(status_code=200, content_type="application/json", body=json.dumps(document, indent=2), headers=headers)


lambda_handler = api.handler()
