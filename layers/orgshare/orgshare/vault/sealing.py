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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
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


def seal(secret: str, context: dict[str, str]) -> Sealed:
    answer = kms().generate_data_key(KeyId=_setting("vault_key_id"), KeySpec="AES_256", EncryptionContext=context)
    nonce = os.urandom(12)
    ciphertext = AESGCM(answer["Plaintext"]).encrypt(nonce, secret.encode(), _aad(context))
    return Sealed(ciphertext, nonce, answer["CiphertextBlob"], answer["KeyId"])


def open_sealed(sealed: Sealed, context: dict[str, str]) -> str:
    """The secret back, for a connector that must send it to a processor. Needs kms:Decrypt."""
    key = kms().decrypt(CiphertextBlob=sealed.data_key, EncryptionContext=context, KeyId=sealed.key_id)["Plaintext"]
    return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, _aad(context)).decode()


# Key pairs for secrets that many functions seal and one opens (webhook signing secrets): a function
# holding only the public key seals with no KMS call and can never open what it sealed.
_OAEP_HASH = hashes.SHA256


def new_key_pair() -> tuple[bytes, bytes]:
    """(private key, public key), PEM: RSA-2048, made here (the private half then sealed under KMS)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), public


def _oaep(context: dict[str, str]) -> padding.OAEP:
    # The context is the OAEP label: a ciphertext copied to another record does not open there.
    return padding.OAEP(mgf=padding.MGF1(_OAEP_HASH()), algorithm=_OAEP_HASH(), label=_aad(context))


def seal_to(public_key: bytes, secret: str, context: dict[str, str]) -> bytes:
    """`secret` (at most 190 bytes) for the holder of the private key only, bound to `context`."""
    key = serialization.load_pem_public_key(public_key)
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("not an RSA public key")
    return key.encrypt(secret.encode(), _oaep(context))


def private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("not an RSA private key")
    return key


def open_from(key: rsa.RSAPrivateKey, ciphertext: bytes, context: dict[str, str]) -> str:
    """Raises ValueError under another context or key."""
    return key.decrypt(ciphertext, _oaep(context)).decode()


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
