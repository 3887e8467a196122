"""An account's business profiles and each profile's connectors (as /v1/business_profiles): list,
create a profile, add a connector (its credentials are write-only: sealed, never shown back, not
even masked), switch one off or on, delete one behind a confirmation. The connectors shown are
those of the session's mode."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.connectors import CONNECTORS
from orgshare.domain import profiles
from orgshare.errors import ApiError
from orgshare.params.common import parse
from orgshare.params.payments import ConnectorCreate, ConnectorUpdate, ProfileCreate
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.developers_common import SECTION, base
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
CREDENTIAL = "credential_"  # a credential field's form name: credential_<field>
KINDS = {"test": "Test simulator (test mode only; moves no money)", "stripe": "Stripe"}
FIELD_LABELS = {"api_key": "API key", "secret_key": "Secret key"}

layout.add_nav(NavItem("Business profiles", "/dashboard/a/{account}/developers/profiles", "account", section=SECTION, order=63))
layout.add_notices({
    "profile_created": "Business profile created. Add a connector so it can take payments.",
    "connector_added": "Connector added. Its credentials are stored sealed and are never shown again.",
    "connector_deleted": "Connector deleted.",
    "connector_changed": "Connector updated.",
})  # fmt: skip


def _profiles_path(account: str) -> str:
    return f"{base(account)}/profiles"


def _kinds() -> list[dict[str, Any]]:
    return [
        {"name": name, "label": KINDS.get(name, name), "fields": [(f, FIELD_LABELS.get(f, f)) for f in kind.credential_fields]}
        for name, kind in CONNECTORS.items()
    ]


def _listing(visit: guard.Visit, account: str, error: ApiError | None = None) -> Response[str]:
    listed = profiles.list_profiles(visit.acting(account), "/v1/business_profiles")["data"]
    return layout.render(visit, "developers/profiles.html", 400 if error else 200, account=account, title="Business profiles",
                         profiles=listed, base=_profiles_path(account), error=error.message if error else None)  # fmt: skip


@router.get("/dashboard/a/<account>/developers/profiles")
def listing(account: str) -> Response[str]:
    return _listing(guard.visit(router), account)


@router.post("/dashboard/a/<account>/developers/profiles")
def create_profile(account: str) -> Response[str]:
    visit, form = guard.change(router)
    try:
        principal, params = visit.acting(account), parse(ProfileCreate, {"name": form.get("name", "").strip()})
        made = replays.once(visit, principal, form, lambda: profiles.create_profile(principal, params))
    except ApiError as error:
        return _listing(visit, account, error)
    return layout.redirect(visit, f"{_profiles_path(account)}/{made['id']}", notice="profile_created")


def _profile_page(visit: guard.Visit, account: str, profile: str, error: ApiError | None = None, kind: str | None = None) -> Response[str]:
    principal = visit.acting(account)
    found = profiles.render_profile(profiles.profile_of(principal, profile))
    connectors = profiles.list_connectors(principal, profile, f"/v1/business_profiles/{profile}/connectors")["data"]
    return layout.render(visit, "developers/profile.html", 400 if error else 200, account=account, title=found["name"], profile=found,
                         connectors=connectors, kinds=_kinds(), base=_profiles_path(account), credential=CREDENTIAL,
                         error=error.message if error else None, error_kind=kind)  # fmt: skip


@router.get("/dashboard/a/<account>/developers/profiles/<profile>")
def show(account: str, profile: str) -> Response[str]:
    return _profile_page(guard.visit(router), account, profile)


@router.post("/dashboard/a/<account>/developers/profiles/<profile>/connectors")
def add_connector(account: str, profile: str) -> Response[str]:
    visit, form = guard.change(router)
    name = form.get("connector_name", "")
    # Only the chosen connector's own fields are sent: the domain names a missing one.
    fields = CONNECTORS[name].credential_fields if name in CONNECTORS else ()
    raw: dict[str, Any] = {"connector_name": name, "credentials": {f: form[CREDENTIAL + f] for f in fields if form.get(CREDENTIAL + f)}}
    if form.get("api_base", "").strip():
        raw["settings"] = {"api_base": form["api_base"].strip()}
    if form.get("disabled") == "true":
        raw["disabled"] = True
    try:
        principal, params = visit.acting(account), parse(ConnectorCreate, raw)
        replays.once(visit, principal, form, lambda: profiles.create_connector(principal, profile, params))
    except ApiError as error:
        return _profile_page(visit, account, profile, error, name)
    return layout.redirect(visit, f"{_profiles_path(account)}/{profile}", notice="connector_added")


@router.post("/dashboard/a/<account>/developers/profiles/<profile>/connectors/<connector>/switch")
def switch_connector(account: str, profile: str, connector: str) -> Response[str]:
    visit, form = guard.change(router)
    page = f"{_profiles_path(account)}/{profile}"
    try:
        principal, params = visit.acting(account), parse(ConnectorUpdate, {"disabled": form.get("disabled") == "true"})
        replays.once(visit, principal, form, lambda: profiles.update_connector(principal, profile, connector, params))
    except ApiError as error:
        return layout.failed(visit, error, back=page, account=account)
    return layout.redirect(visit, page, notice="connector_changed")


@router.post("/dashboard/a/<account>/developers/profiles/<profile>/connectors/<connector>/delete")
def delete_connector(account: str, profile: str, connector: str) -> Response[str]:
    visit, form = guard.change(router)
    principal = visit.acting(account)
    page = f"{_profiles_path(account)}/{profile}"
    if not layout.confirmed(form):
        found = profiles.retrieve_connector(principal, profile, connector)
        text = (f"Delete the {found['connector_name']} connector {connector}? Payments of this profile stop using it; "
                "its credentials are erased. This cannot be undone.")  # fmt: skip
        return layout.confirm(visit, title="Delete this connector?", text=text, action=f"{page}/connectors/{connector}/delete", fields=form,
                              button="Delete connector", back=page, account=account)  # fmt: skip
    try:
        replays.once(visit, principal, form, lambda: profiles.delete_connector(principal, profile, connector))
    except ApiError as error:
        return layout.failed(visit, error, back=page, account=account)
    return layout.redirect(visit, page, notice="connector_deleted")
