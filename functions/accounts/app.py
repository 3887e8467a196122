"""Accounts API for the platform: /v1/accounts and their API keys."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import accounts
from orgshare.params.accounts import AccountCreate, AccountList, AccountRetrieve, ApiKeyCreate, ApiKeyList, ApiKeyRotate
from orgshare.params.common import Params

api = Api()
app = api.resolver


@app.post("/v1/accounts")
def create_account() -> Response[str]:
    return api.write(AccountCreate, lambda who, params, _info: accounts.create_account(who, params))


@app.get("/v1/accounts")
def list_accounts() -> Response[str]:
    who, params = api.read(AccountList)
    return api.ok(accounts.list_accounts(who, params, "/v1/accounts"))


@app.get("/v1/accounts/<account>")
def retrieve_account(account: str) -> Response[str]:
    who, _params = api.read(AccountRetrieve)
    return api.ok(accounts.retrieve_account(who, account))


@app.post("/v1/accounts/<account>/api_keys")
def create_api_key(account: str) -> Response[str]:
    return api.write(ApiKeyCreate, lambda who, params, _info: accounts.create_api_key(who, account, params))


@app.get("/v1/accounts/<account>/api_keys")
def list_api_keys(account: str) -> Response[str]:
    who, params = api.read(ApiKeyList)
    return api.ok(accounts.list_api_keys(who, account, params, f"/v1/accounts/{account}/api_keys"))


@app.post("/v1/accounts/<account>/api_keys/<key>/rotate")
def rotate_api_key(account: str, key: str) -> Response[str]:
    return api.write(ApiKeyRotate, lambda who, params, _info: accounts.rotate_api_key(who, account, key, params))


@app.delete("/v1/accounts/<account>/api_keys/<key>")
def revoke_api_key(account: str, key: str) -> Response[str]:
    return api.write(Params, lambda who, _params, _info: accounts.revoke_api_key(who, account, key))


lambda_handler = api.handler()
