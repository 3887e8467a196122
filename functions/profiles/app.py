"""Business profiles and their connectors: /v1/business_profiles.

What a route uses loads with its first request, not with the handler (tests/unit/test_cold_import.py):
the domain modules it calls, imported in the route, and its parameter model, named through
`models` (orgshare.params, which imports a module of models when it is first named)."""

from aws_lambda_powertools.event_handler import Response

from orgshare import params as models
from orgshare.api.app import Api

api = Api()
app = api.resolver


@app.post("/v1/business_profiles")
def create_profile() -> Response[str]:
    from orgshare.domain import profiles

    return api.write(models.payments.ProfileCreate, lambda who, params, _info: profiles.create_profile(who, params))


@app.get("/v1/business_profiles")
def list_profiles() -> Response[str]:
    from orgshare.domain import profiles

    who, _params = api.read(models.payments.ProfileList)
    return api.ok(profiles.list_profiles(who, "/v1/business_profiles"))


@app.get("/v1/business_profiles/<profile>")
def retrieve_profile(profile: str) -> Response[str]:
    from orgshare.domain import profiles

    who, _params = api.read(models.common.Params)
    return api.ok(profiles.render_profile(profiles.profile_of(who, profile)))


@app.post("/v1/business_profiles/<profile>/connectors")
def create_connector(profile: str) -> Response[str]:
    from orgshare.domain import profiles

    return api.write(models.payments.ConnectorCreate, lambda who, params, _info: profiles.create_connector(who, profile, params))


@app.get("/v1/business_profiles/<profile>/connectors")
def list_connectors(profile: str) -> Response[str]:
    from orgshare.domain import profiles

    who, _params = api.read(models.payments.ProfileList)
    return api.ok(profiles.list_connectors(who, profile, f"/v1/business_profiles/{profile}/connectors"))


@app.get("/v1/business_profiles/<profile>/connectors/<connector>")
def retrieve_connector(profile: str, connector: str) -> Response[str]:
    from orgshare.domain import profiles

    who, _params = api.read(models.common.Params)
    return api.ok(profiles.retrieve_connector(who, profile, connector))


@app.post("/v1/business_profiles/<profile>/connectors/<connector>")
def update_connector(profile: str, connector: str) -> Response[str]:
    from orgshare.domain import profiles

    return api.write(models.payments.ConnectorUpdate, lambda who, params, _info: profiles.update_connector(who, profile, connector, params))


@app.delete("/v1/business_profiles/<profile>/connectors/<connector>")
def delete_connector(profile: str, connector: str) -> Response[str]:
    from orgshare.domain import profiles

    return api.write(models.common.Params, lambda who, _params, _info: profiles.delete_connector(who, profile, connector))


lambda_handler = api.handler()
