"""Organization API for the platform: /v1/organization, its sharing enablements, sandboxes and API keys."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import api_keys
from orgshare.domain.organization import enablements, sandboxes, view
from orgshare.params.accounts import ApiKeyRetrieve, ApiKeyRotate
from orgshare.params.common import Params
from orgshare.params.org_keys import OrgKeyCreate, OrgKeyList
from orgshare.params.organization import (
    OrganizationRetrieve,
    SandboxCreate,
    SandboxList,
    SharingDuplicateList,
    SharingEnablementCreate,
    SharingEnablementList,
    SharingEnablementRetrieve,
)

api = Api()
app = api.resolver
ENABLEMENTS = "/v1/organization/sharing_enablements"


@app.get("/v1/organization")
def retrieve_organization() -> Response[str]:
    who, _params = api.read(OrganizationRetrieve)
    return api.ok(view.retrieve(who))


@app.post(ENABLEMENTS)
def create_enablement() -> Response[str]:
    return api.write(SharingEnablementCreate, enablements.create)


@app.get(ENABLEMENTS)
def list_enablements() -> Response[str]:
    who, params = api.read(SharingEnablementList)
    return api.ok(enablements.list_enablements(who, params, ENABLEMENTS))


@app.get(ENABLEMENTS + "/<enablement>")
def retrieve_enablement(enablement: str) -> Response[str]:
    who, _params = api.read(SharingEnablementRetrieve)
    return api.ok(enablements.retrieve(who, enablement))


@app.delete(ENABLEMENTS + "/<enablement>")
def delete_enablement(enablement: str) -> Response[str]:
    return api.write(Params, lambda who, _params, _info: enablements.refuse_disable(who, enablement))


@app.post(ENABLEMENTS + "/<enablement>/retry")
def retry_enablement(enablement: str) -> Response[str]:
    return api.write(Params, lambda who, _params, info: enablements.retry(who, enablement, info))


@app.get(ENABLEMENTS + "/<enablement>/duplicates")
def list_duplicates(enablement: str) -> Response[str]:
    who, params = api.read(SharingDuplicateList)
    return api.ok(enablements.duplicates(who, enablement, params, f"{ENABLEMENTS}/{enablement}/duplicates"))


@app.post("/v1/organization/sandboxes")
def create_sandbox() -> Response[str]:
    return api.write(SandboxCreate, lambda who, params, _info: sandboxes.create(who, params))


@app.get("/v1/organization/sandboxes")
def list_sandboxes() -> Response[str]:
    who, params = api.read(SandboxList)
    return api.ok(sandboxes.list_sandboxes(who, params, "/v1/organization/sandboxes"))


@app.post(api_keys.ORG_KEYS)
def create_org_key() -> Response[str]:
    return api.write(OrgKeyCreate, lambda who, params, _info: api_keys.create_org_key(who, params))


@app.get(api_keys.ORG_KEYS)
def list_org_keys() -> Response[str]:
    who, params = api.read(OrgKeyList)
    return api.ok(api_keys.list_org_keys(who, params))


@app.get(api_keys.ORG_KEYS + "/<key>")
def retrieve_org_key(key: str) -> Response[str]:
    who, _params = api.read(ApiKeyRetrieve)
    return api.ok(api_keys.retrieve_org_key(who, key))


@app.post(api_keys.ORG_KEYS + "/<key>/rotate")
def rotate_org_key(key: str) -> Response[str]:
    return api.write(ApiKeyRotate, lambda who, params, _info: api_keys.rotate_org_key(who, key, params))


@app.delete(api_keys.ORG_KEYS + "/<key>")
def revoke_org_key(key: str) -> Response[str]:
    return api.write(Params, lambda who, _params, _info: api_keys.revoke_org_key(who, key))


lambda_handler = api.handler()
