"""Webhook signing secrets, sealed to one key pair per organization and mode.

The functions that create endpoints (the API's and the dashboard's) seal a new secret to the
organization's public key (RSA-OAEP): no KMS call, and they can never open a secret, theirs or any
other. Only the dispatcher opens the private key, sealed under the vault's KMS key (encryption
context `org` + `mode` + `keyring`), once per organization and mode in a warm container: fanning an
event out to many endpoints of one organization asks KMS once, not once per endpoint. Each secret
is bound to its endpoint (the OAEP label names the organization and the endpoint), so a sealed
secret copied to another endpoint or organization does not open there.

Endpoints sealed before this had a KMS data key of their own; they open as they always did.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from orgshare.caching import Cache
from orgshare.storage import keyrings
from orgshare.vault import sealing

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

KEYRING = "webhook_secrets"
_SECONDS = 300.0  # a warm container asks KMS again after this: a disabled vault key takes effect
_public: Cache[tuple[str, str], bytes] = Cache(size=1_000, seconds=_SECONDS)
_private: Cache[tuple[str, str], RSAPrivateKey] = Cache(size=256, seconds=_SECONDS)
_opened: Cache[tuple[str, str, bytes], str] = Cache(size=4_096, seconds=_SECONDS)  # a signing secret per endpoint


def _secret_context(org: str, endpoint: str) -> dict[str, str]:
    return {"org": org, "webhook_endpoint": endpoint}


def _keyring_context(org: str, mode: str) -> dict[str, str]:
    return {"org": org, "mode": mode, "keyring": KEYRING}


def _keyring(org: str, mode: str) -> dict[str, Any]:
    """The organization's key pair for this mode: made with its first endpoint (the private key
    sealed at once, one GenerateDataKey; its plaintext goes no further than this call)."""
    stored = keyrings.get(org, mode, KEYRING)
    if stored is not None:
        return stored
    private, public = sealing.new_key_pair()
    sealed = sealing.seal(private.decode(), _keyring_context(org, mode)).as_item()
    if keyrings.create(org, mode, KEYRING, public, sealed, int(time.time())):
        return {"public_key": public, "private_key": sealed}
    stored = keyrings.get(org, mode, KEYRING)  # another request made it first: its pair is the one
    if stored is None:
        raise RuntimeError("the organization's webhook keyring could not be read after it was made")
    return stored


def seal(org: str, mode: str, endpoint: str, secret: str) -> dict[str, Any]:
    """The endpoint's secret as stored: for the organization's private key, bound to the endpoint."""
    public = _public.get((org, mode), lambda: bytes(_keyring(org, mode)["public_key"]))
    return {"ciphertext": sealing.seal_to(public, secret, _secret_context(org, endpoint)), "keyring": KEYRING}


def _private_key(org: str, mode: str) -> RSAPrivateKey:
    def load() -> RSAPrivateKey:
        stored = keyrings.get(org, mode, KEYRING)
        if stored is None:
            raise RuntimeError(f"organization {org} has no webhook keyring in {mode} mode")
        pem = sealing.open_sealed(sealing.Sealed.from_item(stored["private_key"]), _keyring_context(org, mode))
        return sealing.private_key(pem.encode())

    return _private.get((org, mode), load)


def open_secret(endpoint: dict[str, Any]) -> str:
    """The endpoint's signing secret (the dispatcher's); raises if it was sealed for another
    endpoint or organization."""
    item, org = endpoint["secret"], endpoint["org"]
    context = _secret_context(org, endpoint["id"])
    ciphertext = bytes(item["ciphertext"])
    if item.get("keyring") != KEYRING:  # sealed before keyrings, with a data key of its own
        return _opened.get((org, endpoint["id"], ciphertext), lambda: sealing.open_sealed(sealing.Sealed.from_item(item), context))
    return _opened.get(
        (org, endpoint["id"], ciphertext), lambda: sealing.open_from(_private_key(org, endpoint["mode"]), ciphertext, context)
    )


def forget() -> None:
    """As in a new container (tests, the bench)."""
    for cache in (_public, _private, _opened):
        cache.clear()
