"""Object ids and secrets.

Ids are time-sortable (a fixed-width base62 millisecond timestamp, then random characters), so a
sort key of ids orders objects by creation and an id alone says which time bucket it lives in.
"""

from __future__ import annotations

import secrets
import time

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # ASCII order
_TIME_WIDTH = 8  # 62**8 ms is about 6,900 years
_RANDOM_WIDTH = 16


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def _random(width: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(width))


def new_id(prefix: str, now_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{_base62(ms, _TIME_WIDTH)}{_random(_RANDOM_WIDTH)}"


def id_time_ms(object_id: str) -> int | None:
    """Creation time encoded in an id made by new_id, or None for anything else."""
    _, _, body = object_id.rpartition("_")
    if len(body) != _TIME_WIDTH + _RANDOM_WIDTH or any(c not in ALPHABET for c in body):
        return None
    value = 0
    for char in body[:_TIME_WIDTH]:
        value = value * 62 + ALPHABET.index(char)
    return value


def new_secret_key(mode: str, kind: str = "sk") -> str:
    # 48 base62 characters carry about 285 bits; it is stored only as a keyed hash (vault.keyed_hash).
    # kind "pk": a publishable key, as long, though it is no secret (a checkout page shows it).
    return f"{kind}_{mode}_{_random(48)}"


def redact_key(secret: str) -> str:
    """How a key is shown after creation and in errors: 'sk_test_****abcd'."""
    head = next((p for p in ("sk_live_", "sk_test_", "pk_live_", "pk_test_", "rk_live_", "rk_test_") if secret.startswith(p)), "")
    return f"{head}****{secret[-4:]}" if len(secret) > 12 else "****"
