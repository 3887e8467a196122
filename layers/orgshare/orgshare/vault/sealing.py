"""Envelope encryption under KMS, and keyed fingerprints.

One data key per record: KMS GenerateDataKey gives a fresh AES-256 key and its KMS-encrypted
copy; the secret is sealed with AES-GCM and only the encrypted copy is stored. The encryption
context (organization, record id: not the pool, which a sharing enablement changes) is bound to both the data key (KMS refuses to decrypt it
under another context) and the ciphertext (as AES-GCM associated data), so a sealed value copied to
another record cannot be opened there. A leaked data key opens one record; no plaintext key
outlives the call that used it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orgshare.ids import ALPHABET
from orgshare.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


@lru_cache(maxsize=1)
def kms() -> KMSClient:
    return boto3.client("kms", config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5))


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    nonce: bytes
    data_key: bytes  # the data key, encrypted under the vault's KMS key
    key_id: str

    def as_item(self) -> dict[str, Any]:
        return {"ciphertext": self.ciphertext, "nonce": self.nonce, "data_key": self.data_key, "key_id": self.key_id}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Sealed:
        return cls(bytes(item["ciphertext"]), bytes(item["nonce"]), bytes(item["data_key"]), str(item["key_id"]))


def _aad(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True).encode()


def _setting(name: str) -> str:
    value = getattr(get_settings(), name)
    if not value:
        raise RuntimeError(f"{name.upper()} is not configured for this function")
    return str(value)


@dataclass(frozen=True)
class DataKey:
    """A data key in both forms: `plaintext` only ever in memory, `sealed` under the vault's KMS key."""

    plaintext: bytes
    sealed: bytes
    key_id: str


def new_data_key(context: dict[str, str]) -> DataKey:
    answer = kms().generate_data_key(KeyId=_setting("vault_key_id"), KeySpec="AES_256", EncryptionContext=context)
    return DataKey(answer["Plaintext"], answer["CiphertextBlob"], answer["KeyId"])


def open_data_key(sealed: bytes, key_id: str, context: dict[str, str]) -> DataKey:
    """Needs kms:Decrypt; KMS refuses under any other context."""
    return DataKey(kms().decrypt(CiphertextBlob=sealed, EncryptionContext=context, KeyId=key_id)["Plaintext"], sealed, key_id)


def seal_with(key: DataKey, secret: str, context: dict[str, str]) -> Sealed:
    """`secret` under an opened data key, bound to `context` (AES-GCM associated data)."""
    nonce = os.urandom(12)
    return Sealed(AESGCM(key.plaintext).encrypt(nonce, secret.encode(), _aad(context)), nonce, key.sealed, key.key_id)


def open_with(key: DataKey, sealed: Sealed, context: dict[str, str]) -> str:
    """Raises cryptography's InvalidTag under another key or context."""
    return AESGCM(key.plaintext).decrypt(sealed.nonce, sealed.ciphertext, _aad(context)).decode()


def seal(secret: str, context: dict[str, str]) -> Sealed:
    """`secret` under a data key of its own, bound to `context` twice: the data key's KMS encryption context and the ciphertext's."""
    return seal_with(new_data_key(context), secret, context)


def open_sealed(sealed: Sealed, context: dict[str, str]) -> str:
    """The secret back, for a connector that must send it to a processor. Needs kms:Decrypt."""
    return open_with(open_data_key(sealed.data_key, sealed.key_id, context), sealed, context)


def fingerprint(org: str, kind: str, value: str) -> str:
    """A keyed hash: the same value gives the same fingerprint within an organization and a
    different one in any other (the organization is part of the message; the key never leaves KMS)."""
    mac = kms().generate_mac(KeyId=_setting("fingerprint_key_id"), Message=f"{org}:{kind}:{value}".encode(), MacAlgorithm="HMAC_SHA_256")[
        "Mac"
    ]
    number = int.from_bytes(mac[:12], "big")
    chars = []
    for _ in range(16):
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(chars)
