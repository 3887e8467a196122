"""Business profiles and their connectors: /v1/business_profiles."""

from aws_lambda_powertools.event_handler import Response

from orgshare.api.app import Api
from orgshare.domain import profiles
from orgshare.params.common import Params
from orgshare.params.payments import ConnectorCreate, ConnectorUpdate, ProfileCreate, ProfileList

api = Api()
app = api.resolver


@app.post("/v1/business_profiles")
def create_profile() -> Response[str]:
    return api.write(ProfileCreate, lambda who, params, _info: profiles.create_profile(who, params))


@app.get("/v1/business_profiles")
def list_profiles() -> Response[str]:
    who, _params = api.read(ProfileList)
    return api.ok(profiles.list_profiles(who, "/v1/business_profiles"))


@app.get("/v1/business_profiles/<profile>")
def retrieve_profile(profile: str) -> Response[str]:
    who, _params = api.read(Params)
    return api.ok(profiles.render_profile(profiles.profile_of(who, profile)))


@app.post("/v1/business_profiles/<profile>/connectors")
def create_connector(profile: str) -> Response[str]:
    return api.write(ConnectorCreate, lambda who, params, _info: profiles.create_connector(who, profile, params))


@app.get("/v1/business_profiles/<profile>/connectors")
def list_connectors(profile: str) -> Response[str]:
    who, _params = api.read(ProfileList)
    return api.ok(profiles.list_connectors(who, profile, f"/v1/business_profiles/{profile}/connectors"))


@app.get("/v1/business_profiles/<profile>/connectors/<connector>")
def retrieve_connector(profile: str, connector: str) -> Response[str]:
    who, _params = api.read(Params)
    return api.ok(profiles.retrieve_connector(who, profile, connector))


@app.post("/v1/business_profiles/<profile>/connectors/<connector>")
def update_connector(profile: str, connector: str) -> Response[str]:
    return api.write(ConnectorUpdate, lambda who, params, _info: profiles.update_connector(who, profile, connector, params))


@app.delete("/v1/business_profiles/<profile>/connectors/<connector>")
def delete_connector(profile: str, connector: str) -> Response[str]:
    return api.write(Params, lambda who, _params, _info: profiles.delete_connector(who, profile, connector))


lambda_handler = api.handler()
