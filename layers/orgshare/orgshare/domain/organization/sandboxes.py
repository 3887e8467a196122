"""Organization sandboxes: a test-mode copy of a live organization's structure (Stripe's "copy my
organization structure"), made with the platform's live secret key.

A sandbox is a new organization: new ids, a new shared pool. Each account is copied with its kind,
business profile, email, country and metadata, and its business profiles; each live connector
becomes a test connector (the simulator): live credentials never leave the live organization. A
standard account that shares in live mode shares in the sandbox's test mode from the start. No
customer, card, payment or webhook endpoint is copied. The sandbox has test keys only, one new
secret key per account, shown once in the answer.

A crash half way cannot leave a usable half-made sandbox: everything is written under the new
organization's id first, its organization record and the live organization's list entry last, in
one transaction. A request that fails before that leaves an unlisted organization without a record,
whose keys were never shown to anyone: unusable, and never read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orgshare.domain import accounts, profiles
from orgshare.domain.organization import access
from orgshare.domain.organization.enablements import require_platform
from orgshare.domain.organization.view import shares
from orgshare.domain.principal import Principal
from orgshare.errors import InvalidRequest
from orgshare.ids import new_id
from orgshare.params.accounts import ApiKeyCreate
from orgshare.params.organization import SandboxCreate, SandboxList
from orgshare.params.payments import ConnectorCreate
from orgshare.storage import directory
from orgshare.storage import profiles as profile_store
from orgshare.storage import sandboxes as store
from orgshare.wire.lists import list_object

_PAGE = 100
# Each copy is about ten directory and KMS calls in one request: refusing a bigger organization up
# front, with nothing written, beats a timeout half way through API Gateway's 29 seconds.
MAX_ACCOUNTS = 100
MAX_SANDBOXES = 20  # each copies up to MAX_ACCOUNTS accounts with a KMS call per connector: bounded per organization
_KEY_NAME = "sandbox"


@dataclass(frozen=True)
class _Sandbox:
    org: str
    shared_pool: str
    created: int


def _live_organization(principal: Principal) -> dict[str, Any]:
    """The caller's organization, if it may be copied: only by its platform's own live secret key
    (a sandbox's answer holds new secret keys)."""
    access.require_platform_key(principal)
    org = directory.get_organization(principal.org) or {"id": principal.org, "name": None}
    if org.get("sandbox_of"):
        raise InvalidRequest(
            f"This organization is a sandbox of {org['sandbox_of']}: sandboxes are copied from a live organization, "
            "with its platform's live secret key.",
            code="organization_is_sandbox",
        )
    if not principal.livemode:
        raise InvalidRequest(
            "A sandbox is a test-mode copy of the live organization: create it with the platform's live secret key (sk_live_...). "
            "It comes with test keys of its own.",
            code="livemode_required",
        )
    if len(store.list_sandboxes(principal.org, limit=MAX_SANDBOXES)) >= MAX_SANDBOXES:
        raise InvalidRequest(f"This organization has {MAX_SANDBOXES} sandboxes already, the most it may have.",
                             code="sandbox_limit_reached")  # fmt: skip
    return org


def _live_accounts(org: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        batch = directory.list_accounts(org, limit=_PAGE, after=found[-1]["id"] if found else None, before=None, descending=False)
        found += batch
        if len(found) > MAX_ACCOUNTS:
            raise InvalidRequest(
                f"This organization has more than {MAX_ACCOUNTS} accounts: too many to copy into a sandbox in one request. "
                "Nothing was created.",
                code="organization_too_large",
            )
        if len(batch) < _PAGE:
            # The platform first, as the answer lists it.
            return sorted(found, key=lambda record: record["kind"] != "platform")


def _copy_profiles(live: dict[str, Any], record: dict[str, Any], sandbox: _Sandbox) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The copy's default profile (standing in for the live default) and its other profiles."""
    found = profile_store.list_profiles(live["org"], live["id"])
    live_default = live.get("default_profile") or next((p["id"] for p in found if p.get("is_default")), None)
    default = accounts.default_profile(sandbox.org, record["id"])
    others: list[dict[str, Any]] = []
    for profile in found:
        if profile["id"] == live_default:
            default.update(name=profile["name"], copied_from=profile["id"])
        else:
            others.append({"id": new_id("pro"), "org": sandbox.org, "account": record["id"], "name": profile["name"],
                           "is_default": False, "created": sandbox.created, "version": 1, "copied_from": profile["id"]})  # fmt: skip
    return default, others


def _copy_connectors(live: dict[str, Any], record: dict[str, Any], copied: list[dict[str, Any]]) -> None:
    """A simulator connector for each live connector, on the copy of its profile: a sandbox moves no
    money, and the live credentials stay where they are."""
    acting = Principal(org=record["org"], account=record["id"], kind=record["kind"], pool=record["pool"], mode="test",
                       key_id=_KEY_NAME, key_account=record["id"])  # fmt: skip
    for profile in copied:
        for connector in profile_store.connectors_of(live["org"], live["id"], "live", profile["copied_from"]):
            simulator = ConnectorCreate(
                connector_name="test", credentials={"api_key": f"sim_{record['id']}"}, disabled=bool(connector.get("disabled"))
            )
            profiles.create_connector(acting, profile["id"], simulator)


def _copy_account(live: dict[str, Any], sandbox: _Sandbox) -> dict[str, Any]:
    kind = live["kind"]
    record: dict[str, Any] = {
        "id": new_id("acct"),
        "org": sandbox.org,
        "kind": kind,
        # The platform and connected accounts use the sandbox's shared pool; a standard account its own.
        "pool": new_id("pool") if kind == "standard" else sandbox.shared_pool,
        "email": live.get("email"),
        "country": live.get("country"),
        "business_profile": live.get("business_profile"),
        "metadata": live.get("metadata"),
        "created": sandbox.created,
        "copied_from": live["id"],
    }
    joins = kind == "standard" and bool(live.get("sharing_live"))
    if joins:  # shares from the start: there are no customers to move
        record["sharing_test"] = {"pool": sandbox.shared_pool, "switch_at": sandbox.created, "status": "moved", "enablement": None}
    default, others = _copy_profiles(live, record, sandbox)
    record["default_profile"] = default["id"]
    directory.create_account(record, default)
    for profile in others:
        profile_store.put_profile(profile, None)
    if joins:
        store.join_shared_pool(sandbox.org, sandbox.shared_pool, record["id"], sandbox.created)
    _copy_connectors(live, record, [p for p in (default, *others) if p.get("copied_from")])
    return record


def _render_copy(record: dict[str, Any], secret: str) -> dict[str, Any]:
    return {
        "id": record["id"],
        "object": "account",
        "copied_from": record["copied_from"],
        "type": record["kind"],
        "name": (record.get("business_profile") or {}).get("name"),
        "shares": shares(record, "test"),
        "secret_key": secret,  # shown once: stored only as a keyed hash
    }


def create(principal: Principal, params: SandboxCreate) -> dict[str, Any]:
    if params.name is not None and not params.name.strip():
        raise InvalidRequest("name cannot be blank.", code="parameter_invalid", param="name")
    live_org = _live_organization(principal)
    sandbox = _Sandbox(new_id("org"), new_id("pool"), int(time.time()))
    copies = [_copy_account(live, sandbox) for live in _live_accounts(principal.org)]
    platform = next((c for c in copies if c["kind"] == "platform"), None)
    if platform is None:  # every organization has one; nothing usable was made without it
        raise InvalidRequest("This organization has no platform account to copy.", code="organization_invalid")
    acting = Principal(org=sandbox.org, account=platform["id"], kind="platform", pool=sandbox.shared_pool, mode="test",
                       key_id=_KEY_NAME, key_account=platform["id"])  # fmt: skip
    secrets = {c["id"]: accounts.create_api_key(acting, c["id"], ApiKeyCreate(name=_KEY_NAME))["secret"] for c in copies}
    name = params.name or f"{live_org.get('name') or principal.org} sandbox"
    org = {"id": sandbox.org, "name": name, "created": sandbox.created, "shared_pool": sandbox.shared_pool, "sandbox_of": principal.org}
    store.commit(org, {"id": sandbox.org, "name": name, "created": sandbox.created, "platform": platform["id"], "accounts": len(copies)})
    return {
        "id": sandbox.org,
        "object": "organization_sandbox",
        "sandbox_of": principal.org,
        "name": name,
        "livemode": False,
        "created": sandbox.created,
        "accounts": [_render_copy(c, secrets[c["id"]]) for c in copies],
    }


def list_sandboxes(principal: Principal, params: SandboxList, url: str) -> dict[str, Any]:
    """The live organization's sandboxes, oldest first: ids, names and sizes (their keys were shown
    once, at creation; the sandbox's platform mints new ones with POST /v1/accounts/{id}/api_keys)."""
    require_platform(principal)
    found = store.list_sandboxes(principal.org, limit=params.limit + 1, after=params.starting_after)
    data = [
        {"id": s["id"], "object": "organization_sandbox", "sandbox_of": principal.org, "name": s.get("name"), "livemode": False,
         "created": s.get("created"), "platform": s.get("platform"), "accounts_count": s.get("accounts")}
        for s in found[: params.limit]
    ]  # fmt: skip
    return list_object(url, data, len(found) > params.limit)
