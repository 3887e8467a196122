"""Webhook signing secrets, sealed under one data key per organization and mode.

A dispatcher that fans an event out to many endpoints of one organization then asks KMS once (the
data key, opened and kept in the warm container), not once per endpoint. Each secret is still
bound to its own endpoint (the AES-GCM associated data names the organization and the endpoint),
so a sealed secret copied to another endpoint or organization does not open there; the data key
itself opens only under its organization's and mode's KMS encryption context. What a leaked
plaintext data key would open: that organization's webhook secrets in one mode, which is what a
warm dispatcher already held opened.

Endpoints sealed before this had a data key of their own; they open as they always did.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.caching import Cache
from orgshare.storage import keyrings
from orgshare.vault import sealing

KEYRING = "webhook_secrets"
_SECONDS = 300.0  # a warm container asks KMS again after this: a disabled vault key takes effect
_opened: Cache[tuple[str, str, bytes], sealing.DataKey] = Cache(size=256, seconds=_SECONDS)
_current: Cache[tuple[str, str], sealing.DataKey] = Cache(size=256, seconds=_SECONDS)  # an organization's, for sealing


def _secret_context(org: str, endpoint: str) -> dict[str, str]:
    return {"org": org, "webhook_endpoint": endpoint}


def _keyring_context(org: str, mode: str) -> dict[str, str]:
    return {"org": org, "mode": mode, "keyring": KEYRING}


def _data_key(org: str, mode: str, sealed: bytes, key_id: str) -> sealing.DataKey:
    return _opened.get((org, mode, sealed), lambda: sealing.open_data_key(sealed, key_id, _keyring_context(org, mode)))


def _keyring(org: str, mode: str) -> sealing.DataKey:
    """The organization's data key for this mode: made (one GenerateDataKey) with its first endpoint."""
    stored = keyrings.get(org, mode, KEYRING)
    if stored is None:
        made = sealing.new_data_key(_keyring_context(org, mode))
        if keyrings.create(org, mode, KEYRING, made.sealed, made.key_id, int(time.time())):
            _opened.get((org, mode, made.sealed), lambda: made)
            return made
        stored = keyrings.get(org, mode, KEYRING)  # another request made it first
        if stored is None:
            raise RuntimeError("the organization's webhook keyring could not be read after it was made")
    return _data_key(org, mode, stored["data_key"], stored["key_id"])


def seal(org: str, mode: str, endpoint: str, secret: str) -> dict[str, Any]:
    """The endpoint's secret as stored: under the organization's data key, bound to the endpoint."""
    sealed = sealing.seal_with(_current.get((org, mode), lambda: _keyring(org, mode)), secret, _secret_context(org, endpoint))
    return {**sealed.as_item(), "keyring": KEYRING}


def open_secret(endpoint: dict[str, Any]) -> str:
    """The endpoint's signing secret; raises if it was sealed for another endpoint or organization."""
    item, org = endpoint["secret"], endpoint["org"]
    sealed = sealing.Sealed.from_item(item)
    context = _secret_context(org, endpoint["id"])
    if item.get("keyring") != KEYRING:  # sealed before keyrings, with a data key of its own (opened under the secret's context)
        key = _opened.get((org, endpoint["id"], sealed.data_key), lambda: sealing.open_data_key(sealed.data_key, sealed.key_id, context))
    else:
        key = _data_key(org, endpoint["mode"], sealed.data_key, sealed.key_id)
    return sealing.open_with(key, sealed, context)


def forget() -> None:
    """As in a new container (tests, the bench)."""
    _opened.clear()
    _current.clear()
