"""What an attacker with a copy of every table could recover: nothing secret.

Cards, bank accounts, connector credentials, API keys and webhook endpoints are created with
Idempotency-Keys (as the SDKs send them); then every item of every table is searched for each
secret, and for the MD5, SHA-1 and SHA-256 (hex and base64) of each secret and of the request
body in the forms a naive idempotency layer would hash (raw, JSON-encoded, with method and path).
Such a digest beside a card's brand, last4 and expiry gives the number and CVC back in seconds."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

CARD_NUMBER, CVC = "4000056655665556", "918"  # a Visa debit test card
BANK_ACCOUNT = "000987654321"
CONNECTOR_SECRET = "sim_credential_Zq81xWv3Lk0p"
SESSION = {"mode": "payment", "line_items[0][price_data][currency]": "usd", "line_items[0][price_data][unit_amount]": "700",
           "line_items[0][price_data][product_data][name]": "Ride", "line_items[0][quantity]": "1"}  # fmt: skip


def post(system: LocalSystem, path: str, key: str, params: dict[str, str], idempotency_key: str) -> tuple[int, dict[str, Any], bool]:
    """A form POST as the SDKs send it: the status, the answer, and whether it was a replay."""
    request = Request(system.url + path, data=urlencode(params).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Idempotency-Key", idempotency_key)
    try:
        with urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), answer.headers.get("Idempotent-Replayed") == "true"
    except HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get("Idempotent-Replayed") == "true"


def digests(text: str) -> set[str]:
    found = set()
    for algorithm in ("md5", "sha1", "sha256"):
        raw = hashlib.new(algorithm, text.encode()).digest()
        found |= {raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return found


def strings(value: Any) -> Iterator[str]:
    """Every string and binary value of a raw DynamoDB item, at any depth (binary as base64 and hex too)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "S":
                yield str(v)
            elif k == "B":
                yield base64.b64encode(v).decode()
                yield bytes(v).hex()
            else:
                yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def test_no_secret_or_unkeyed_digest_of_one_is_stored(local_system: LocalSystem) -> None:
    rides = local_system.accounts["Rocket Rides"]
    platform = local_system.accounts["Rocket Platform"]
    profile = local_system.http("GET", "/v1/business_profiles", key=rides.key)[1]["data"][0]["id"]
    requests = [
        (rides.key, "/v1/payment_methods",
         {"type": "card", "card[number]": CARD_NUMBER, "card[exp_month]": "7", "card[exp_year]": "2033", "card[cvc]": CVC}),
        (rides.key, "/v1/payment_methods",
         {"type": "us_bank_account", "us_bank_account[account_number]": BANK_ACCOUNT, "us_bank_account[routing_number]": "110000000",
          "billing_details[name]": "Jenny Rosen"}),
        (rides.key, f"/v1/business_profiles/{profile}/connectors", {"connector_name": "test", "credentials[api_key]": CONNECTOR_SECRET}),
        (platform.key, f"/v1/accounts/{rides.id}/api_keys", {"name": "at-rest"}),
        (rides.key, "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/hooks", "enabled_events[0]": "customer.created"}),
        (rides.key, "/v1/checkout/sessions", {**SESSION, "success_url": "https://rides.example/ok"}),
        (rides.key, "/v1/checkout/sessions", {**SESSION, "ui_mode": "embedded", "return_url": "https://rides.example/ok"}),
    ]  # fmt: skip
    secrets = {CARD_NUMBER, CVC, BANK_ACCOUNT, CONNECTOR_SECRET}
    digested = set()
    for key, path, params in requests:
        idempotency_key = str(uuid.uuid4())
        status, first, replayed = post(local_system, path, key, params, idempotency_key)
        assert status == 200 and not replayed, first
        secrets |= {first[f] for f in ("secret",) if f in first}  # the new API key's and the endpoint's secret, shown once
        if first.get("object") == "checkout.session":  # a session's page secret, in its URL or its client_secret
            secrets |= {first["url"].partition("?key=")[2]} if first["url"] else {first["client_secret"].partition("_secret_")[2]}

        # Replay and "same key, other parameters" behave as Stripe's do; the replay shows no secret again.
        again = post(local_system, path, key, params, idempotency_key)
        expected = {**first, "secret": first["secret"][: first["secret"].rindex("_") + 1] + "****" + first["secret"][-4:]} if (
            "secret" in first
        ) else first  # fmt: skip
        assert again == (200, expected, True)
        other = post(local_system, path, key, {**params, "metadata[try]": "2"}, idempotency_key)
        assert other[0] == 400 and other[1]["error"]["type"] == "idempotency_error"

        body = urlencode(params)
        for shape in (
            body,
            json.dumps(body),
            json.dumps({"body": body, "method": "POST", "path": path}, sort_keys=True),
            json.dumps(params, sort_keys=True),
            json.dumps({"method": "POST", "path": path, "params": params}, sort_keys=True),
        ):
            digested |= digests(shape)  # fmt: skip
    for secret in secrets:
        digested |= digests(secret)

    for table, items in local_system.table_items().items():
        for item in items:
            for value in strings(item):
                assert value not in digested, f"{table} holds an unkeyed digest of a request or secret: {item.get('pk')}"
                assert value != CVC, f"{table} holds the CVC: {item.get('pk')}"
                leaked = [s for s in secrets - {CVC} if s in value]
                assert not leaked, f"{table} holds a secret in clear: {item.get('pk')}"
