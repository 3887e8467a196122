"""Accounts API for the platform: /v1/accounts and their API keys.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/accounts")
def create_account() -> Response[str]:
    from orgshare.domain import accounts

    return api.write(models.accounts.AccountCreate, lambda who, params, _info: accounts.create_account(who, params))


@app.get("/v1/accounts")
def list_accounts() -> Response[str]:
    from orgshare.domain import accounts

    who, params = api.read(models.accounts.AccountList)
    return api.ok(accounts.list_accounts(who, params, "/v1/accounts"))


@app.get("/v1/accounts/<account>")
def retrieve_account(account: str) -> Response[str]:
    from orgshare.domain import accounts

    who, _params = api.read(models.accounts.AccountRetrieve)
    return api.ok(accounts.retrieve_account(who, account))


@app.post("/v1/accounts/<account>/api_keys")
def create_api_key(account: str) -> Response[str]:
    from orgshare.domain import accounts

    return api.write(models.accounts.ApiKeyCreate, lambda who, params, _info: accounts.create_api_key(who, account, params))


@app.get("/v1/accounts/<account>/api_keys")
def list_api_keys(account: str) -> Response[str]:
    from orgshare.domain import accounts

    who, params = api.read(models.accounts.ApiKeyList)
    return api.ok(accounts.list_api_keys(who, account, params, f"/v1/accounts/{account}/api_keys"))


@app.post("/v1/accounts/<account>/api_keys/<key>/rotate")
def rotate_api_key(account: str, key: str) -> Response[str]:
    from orgshare.domain import accounts

    return api.write(models.accounts.ApiKeyRotate, lambda who, params, _info: accounts.rotate_api_key(who, account, key, params))


@app.delete("/v1/accounts/<account>/api_keys/<key>")
def revoke_api_key(account: str, key: str) -> Response[str]:
    from orgshare.domain import accounts

    return api.write(models.common.Params, lambda who, _params, _info: accounts.revoke_api_key(who, account, key))


lambda_handler = api.handler()
