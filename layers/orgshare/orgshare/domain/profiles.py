"""Business profiles (pro_...) and their connectors (Hyperswitch's merchant connector accounts).

An account's own key, or the platform's acting for it (Stripe-Account), manages them. Connector
credentials are sealed like card numbers and shown masked after creation.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from orgshare.caching import Cache
from orgshare.connectors import CONNECTORS, Connector, ConnectorModeMismatch
from orgshare.domain import auth
from orgshare.domain.principal import Principal
from orgshare.errors import InvalidRequest, ResourceMissing
from orgshare.ids import new_id
from orgshare.params.payments import ConnectorCreate, ConnectorUpdate, ProfileCreate
from orgshare.settings import get_settings
from orgshare.storage import profiles as store
from orgshare.vault import sealing
from orgshare.wire.lists import list_object


def render_profile(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": profile["id"],
        "object": "business_profile",
        "account": profile["account"],
        "name": profile["name"],
        "is_default": bool(profile.get("is_default")),
        "created": profile["created"],
    }


def _masked(credentials: dict[str, str]) -> dict[str, str]:
    return {k: ("****" + v[-4:] if len(v) > 8 else "****") for k, v in credentials.items()}


def render_connector(connector: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": connector["id"],
        "object": "connector",
        "business_profile": connector["profile"],
        "connector_name": connector["connector_name"],
        "credentials": connector["masked"],  # never the credentials themselves after creation
        "settings": connector.get("settings") or {},
        "enabled_payment_method_types": connector["enabled_payment_method_types"],
        "livemode": connector["mode"] == "live",
        "status": "disabled" if connector.get("disabled") else "enabled",
        "created": connector["created"],
    }


def create_profile(principal: Principal, params: ProfileCreate) -> dict[str, Any]:
    profile = {"id": new_id("pro"), "org": principal.org, "account": principal.account, "name": params.name,
               "is_default": False, "created": int(time.time()), "version": 1}  # fmt: skip
    store.put_profile(profile, None)
    return render_profile(profile)


def _default_profile(principal: Principal) -> str | None:
    account = auth.cached_account(principal.org, principal.account, get_settings().account_cache_seconds) or {}
    return account.get("default_profile")


def profile_of(principal: Principal, profile: str | None) -> dict[str, Any]:
    """The caller's profile with this id, or its default profile."""
    profile = profile or _default_profile(principal)
    found = store.get_profile(principal.org, principal.account, profile) if profile else None
    if found is None:
        raise ResourceMissing("business_profile", profile or "default", param="profile")
    return found


def profile_id(principal: Principal, profile: str | None) -> str:
    """The id of the caller's profile `profile` (checked), or of its default (which always exists)."""
    default = _default_profile(principal) if profile is None else None
    return default or str(profile_of(principal, profile)["id"])


def list_profiles(principal: Principal, url: str) -> dict[str, Any]:
    return list_object(url, [render_profile(p) for p in store.list_profiles(principal.org, principal.account)], False)


def _seal_context(principal: Principal, connector: str) -> dict[str, str]:
    return {"org": principal.org, "connector": connector}


def _check_settings(name: str, settings: dict[str, Any], livemode: bool) -> None:
    base = settings.get("api_base")
    if base is None:
        return
    if name != "stripe":
        raise InvalidRequest("settings[api_base] is only for the stripe connector.", code="parameter_invalid", param="settings[api_base]")
    parts = urlsplit(base)
    if livemode or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(
            "settings[api_base] must be an http(s) URL, and only in test mode (live connectors talk to api.stripe.com).",
            code="parameter_invalid", param="settings[api_base]",
        )  # fmt: skip


def _check_mode(name: str, credentials: dict[str, str], livemode: bool) -> None:
    """Each connector class says which mode it (with these credentials) belongs to."""
    try:
        CONNECTORS[name].check_mode(credentials, livemode)
    except ConnectorModeMismatch as exc:
        raise InvalidRequest(str(exc), code="connector_mode_mismatch", param=exc.param) from None


def create_connector(principal: Principal, profile: str, params: ConnectorCreate) -> dict[str, Any]:
    owner = profile_of(principal, profile)
    kind = CONNECTORS[params.connector_name]
    missing = [f for f in kind.credential_fields if f not in params.credentials]
    unknown = [f for f in params.credentials if f not in kind.credential_fields]
    if missing or unknown:
        field = (missing or unknown)[0]
        raise InvalidRequest(
            f"The {params.connector_name} connector takes credentials {', '.join(kind.credential_fields)}.",
            code="parameter_missing" if missing else "parameter_unknown", param=f"credentials[{field}]",
        )  # fmt: skip
    _check_mode(params.connector_name, params.credentials, principal.livemode)
    settings = params.settings.model_dump(exclude_none=True) if params.settings else {}
    _check_settings(params.connector_name, settings, principal.livemode)
    connector_id = new_id("mca")
    connector = {
        "id": connector_id, "org": principal.org, "account": principal.account, "profile": owner["id"], "mode": principal.mode,
        "connector_name": params.connector_name, "settings": settings, "disabled": params.disabled,
        "enabled_payment_method_types": params.enabled_payment_method_types or ["card"], "created": int(time.time()), "version": 1,
        "masked": _masked(params.credentials),
        "credentials": sealing.seal(json.dumps(params.credentials), _seal_context(principal, connector_id)).as_item(),
    }  # fmt: skip
    store.put_connector(connector, None)
    return render_connector(connector)


def _connector(principal: Principal, profile: str, connector: str) -> dict[str, Any]:
    found = store.get_connector(principal.org, principal.account, principal.mode, profile, connector)
    if found is None:
        raise ResourceMissing("connector", connector)
    return found


def list_connectors(principal: Principal, profile: str, url: str) -> dict[str, Any]:
    owner = profile_of(principal, profile)
    found = store.connectors_of(principal.org, principal.account, principal.mode, owner["id"])
    return list_object(url, [render_connector(c) for c in found], False)


def retrieve_connector(principal: Principal, profile: str, connector: str) -> dict[str, Any]:
    return render_connector(_connector(principal, profile, connector))


def update_connector(principal: Principal, profile: str, connector: str, params: ConnectorUpdate) -> dict[str, Any]:
    current = _connector(principal, profile, connector)
    new = dict(current)
    if params.credentials is not None:
        fields = CONNECTORS[current["connector_name"]].credential_fields
        if sorted(params.credentials) != sorted(fields):
            raise InvalidRequest(f"credentials must be exactly: {', '.join(fields)}.", code="parameter_invalid", param="credentials")
        _check_mode(current["connector_name"], params.credentials, principal.livemode)
        new["credentials"] = sealing.seal(json.dumps(params.credentials), _seal_context(principal, connector)).as_item()
        new["masked"] = _masked(params.credentials)
    if params.settings is not None:
        new["settings"] = params.settings.model_dump(exclude_none=True)
        _check_settings(current["connector_name"], new["settings"], principal.livemode)
    if params.disabled is not None:
        new["disabled"] = params.disabled
    new["version"] = current["version"] + 1
    store.put_connector(new, current["version"])
    return render_connector(new)


def delete_connector(principal: Principal, profile: str, connector: str) -> dict[str, Any]:
    store.delete_connector(_connector(principal, profile, connector))
    return {"id": connector, "object": "connector", "deleted": True}


# A warm function opens each connector's credentials once (one KMS Decrypt) while their sealed form
# is unchanged: a payment's one KMS call is then its card's. Keyed by the record's own sealed bytes,
# so new credentials (a new seal) are opened on the next payment, never served from here.
_opened: Cache[tuple[str, str, bytes], dict[str, str]] = Cache(size=256)


def _credentials(principal: Principal, record: dict[str, Any]) -> dict[str, str]:
    sealed = sealing.Sealed.from_item(record["credentials"])

    def load() -> dict[str, str]:
        return dict(json.loads(sealing.open_sealed(sealed, _seal_context(principal, record["id"]))))

    return dict(_opened.get((principal.org, str(record["id"]), sealed.ciphertext), load))  # a copy: callers may change theirs


def connector_for(principal: Principal, profile: str, connector: str | None = None) -> tuple[dict[str, Any], Connector]:
    """For a new payment, the profile's first enabled card connector for the caller's mode; for
    a payment's next step (capture, cancel, refund), the connector that made it, even if disabled
    since: its processor holds the payment. Ready to call."""
    if connector is not None:
        record = store.get_connector(principal.org, principal.account, principal.mode, profile, connector)
    else:
        record = next(
            (c for c in store.connectors_of(principal.org, principal.account, principal.mode, profile)
             if not c.get("disabled") and "card" in c["enabled_payment_method_types"]),
            None,
        )  # fmt: skip
    if record is None:
        wanted = f"The connector {connector} that made this payment was deleted" if connector else (
            f"No connector is configured for card payments on business profile {profile}"
        )  # fmt: skip
        raise InvalidRequest(f"{wanted}.", code="connector_not_configured", param="profile")
    credentials = _credentials(principal, record)
    kind = CONNECTORS[record["connector_name"]]
    try:  # a record from before connectors were checked at creation: never let it charge (nor simulate) in the wrong mode
        kind.check_mode(credentials, principal.livemode)
    except ConnectorModeMismatch as exc:
        raise InvalidRequest(
            f"The {kind.name} connector {record['id']} cannot be used in {principal.mode} mode: {exc} Nothing was changed; "
            "configure a connector for this mode (or fix this one's credentials).",
            code="connector_mode_mismatch", param="profile",
        ) from None  # fmt: skip
    return record, kind(credentials, record.get("settings") or {}, principal.livemode)
