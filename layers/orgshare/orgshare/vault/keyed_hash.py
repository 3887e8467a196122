"""Keyed hashes of secrets: what is stored to find an API key by its secret, or to recognise a
repeated request by its parameters, without storing anything an attacker with the tables could
test guesses against.

HMAC-SHA-256 under a key per purpose that KMS derives from `LookupKey` (an HMAC key that never
leaves KMS): GenerateMac over the purpose's label. The derived key lives only in the memory of a
warm function, so a hash costs one KMS call per purpose per container, not one per request; a copy
of the tables (or of the code) holds neither key.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

from orgshare.settings import get_settings
from orgshare.vault.sealing import kms

API_KEY = "api_key"
IDEMPOTENCY = "idempotency"
CHECKOUT_SESSION = "checkout_session"
# The dashboard: a session cookie's token is found by this hash; its CSRF token is derived from it.
DASHBOARD_SESSION = "dashboard_session"
DASHBOARD_CSRF = "dashboard_csrf"

_derived: dict[str, bytes] = {}
_lock = threading.Lock()


def _key(purpose: str) -> bytes:
    found = _derived.get(purpose)
    if found is not None:
        return found
    key_id = get_settings().lookup_key_id
    if not key_id:
        raise RuntimeError("LOOKUP_KEY_ID is not configured for this function")
    with _lock:
        if purpose not in _derived:
            label = f"orgshare:{purpose}:v1".encode()
            _derived[purpose] = kms().generate_mac(KeyId=key_id, Message=label, MacAlgorithm="HMAC_SHA_256")["Mac"]
        return _derived[purpose]


def keyed_hash(purpose: str, value: str) -> str:
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()


def forget_keys() -> None:
    """Drops the derived keys (tests that create new KMS keys; a key rotation)."""
    with _lock:
        _derived.clear()
