"""Organization API for the platform: /v1/organization, its sharing enablements, sandboxes and API keys.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver
ENABLEMENTS = "/v1/organization/sharing_enablements"
ORG_KEYS = "/v1/organization/api_keys"  # domain.api_keys.ORG_KEYS, which the routes import on first use


@app.get("/v1/organization")
def retrieve_organization() -> Response[str]:
    from orgshare.domain.organization import view

    who, _params = api.read(models.organization.OrganizationRetrieve)
    return api.ok(view.retrieve(who))


@app.post(ENABLEMENTS)
def create_enablement() -> Response[str]:
    from orgshare.domain.organization import enablements

    return api.write(models.organization.SharingEnablementCreate, enablements.create)


@app.get(ENABLEMENTS)
def list_enablements() -> Response[str]:
    from orgshare.domain.organization import enablements

    who, params = api.read(models.organization.SharingEnablementList)
    return api.ok(enablements.list_enablements(who, params, ENABLEMENTS))


@app.get(ENABLEMENTS + "/<enablement>")
def retrieve_enablement(enablement: str) -> Response[str]:
    from orgshare.domain.organization import enablements

    who, _params = api.read(models.organization.SharingEnablementRetrieve)
    return api.ok(enablements.retrieve(who, enablement))


@app.delete(ENABLEMENTS + "/<enablement>")
def delete_enablement(enablement: str) -> Response[str]:
    from orgshare.domain.organization import enablements

    return api.write(models.common.Params, lambda who, _params, _info: enablements.refuse_disable(who, enablement))


@app.post(ENABLEMENTS + "/<enablement>/retry")
def retry_enablement(enablement: str) -> Response[str]:
    from orgshare.domain.organization import enablements

    return api.write(models.common.Params, lambda who, _params, info: enablements.retry(who, enablement, info))


@app.get(ENABLEMENTS + "/<enablement>/duplicates")
def list_duplicates(enablement: str) -> Response[str]:
    from orgshare.domain.organization import enablements

    who, params = api.read(models.organization.SharingDuplicateList)
    return api.ok(enablements.duplicates(who, enablement, params, f"{ENABLEMENTS}/{enablement}/duplicates"))


@app.post("/v1/organization/sandboxes")
def create_sandbox() -> Response[str]:
    from orgshare.domain.organization import sandboxes

    return api.write(models.organization.SandboxCreate, lambda who, params, _info: sandboxes.create(who, params))


@app.get("/v1/organization/sandboxes")
def list_sandboxes() -> Response[str]:
    from orgshare.domain.organization import sandboxes

    who, params = api.read(models.organization.SandboxList)
    return api.ok(sandboxes.list_sandboxes(who, params, "/v1/organization/sandboxes"))


@app.post(ORG_KEYS)
def create_org_key() -> Response[str]:
    from orgshare.domain import api_keys

    return api.write(models.org_keys.OrgKeyCreate, lambda who, params, _info: api_keys.create_org_key(who, params))


@app.get(ORG_KEYS)
def list_org_keys() -> Response[str]:
    from orgshare.domain import api_keys

    who, params = api.read(models.org_keys.OrgKeyList)
    return api.ok(api_keys.list_org_keys(who, params))


@app.get(ORG_KEYS + "/<key>")
def retrieve_org_key(key: str) -> Response[str]:
    from orgshare.domain import api_keys

    who, _params = api.read(models.accounts.ApiKeyRetrieve)
    return api.ok(api_keys.retrieve_org_key(who, key))


@app.post(ORG_KEYS + "/<key>/rotate")
def rotate_org_key(key: str) -> Response[str]:
    from orgshare.domain import api_keys

    return api.write(models.accounts.ApiKeyRotate, lambda who, params, _info: api_keys.rotate_org_key(who, key, params))


@app.delete(ORG_KEYS + "/<key>")
def revoke_org_key(key: str) -> Response[str]:
    from orgshare.domain import api_keys

    return api.write(models.common.Params, lambda who, _params, _info: api_keys.revoke_org_key(who, key))


lambda_handler = api.handler()
