"""Where a webhook goes: resolved once per attempt, every address checked, the connection made to
a checked address (DNS rebinding gains nothing), loopback only where the setting allows it, and
the host name kept for `Host`, TLS SNI and the certificate check. DNS is faked and the network
is 127.0.0.1 only: any other address a test would reach is refused, and recorded."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from localrun import template as tpl
from localrun.gateway import Gateway
from localrun.receiver import Receiver
from orgshare.domain import accounts, auth, delivery, endpoint_urls, webhook_secrets, webhooks
from orgshare.errors import InvalidRequest
from orgshare.ids import new_id
from orgshare.params.webhooks import WebhookEndpointCreate
from orgshare.settings import get_settings
from tests.unit.test_webhook_receivers import RawReceiver, sends

PUBLIC = "93.184.216.34"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket connects to; only 127.0.0.1 answers."""
    connected: list[str] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        connected.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError("a test reaches nothing but 127.0.0.1")
        real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return connected


def fake_dns(monkeypatch: pytest.MonkeyPatch, host: str, *answers: list[str]) -> list[str]:
    """`host` resolves to answers[0] the first time, answers[1] the next, ... (the last one from then
    on); returns the list of lookups made of it."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if name != host:
            return real(name, port, *args, **kwargs)
        lookups.append(name)
        found = answers[min(len(lookups), len(answers)) - 1]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, int(port), 0, 0)) if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port)))
            for a in found
        ]  # fmt: skip

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.fixture
def loopback(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the local system sets: test-mode endpoints on loopback allowed."""
    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def endpoint(url: str, mode: str = "test") -> dict[str, Any]:
    """An endpoint as stored (saved before any rule now in force: delivery checks again)."""
    endpoint_id = new_id("we")
    secret = webhook_secrets.seal("org_addr", mode, endpoint_id, "whsec_addr")
    return {"id": endpoint_id, "org": "org_addr", "mode": mode, "owner": "acct_addr", "url": url, "enabled_events": ["*"],
            "status": "enabled", "secret": secret}  # fmt: skip


def attempt(url: str, mode: str = "test") -> dict[str, Any]:
    event = {"id": new_id("evt"), "object": "event", "type": "customer.created", "data": {"object": {}}}
    return delivery.post(delivery.Delivery(event, endpoint(url, mode), "acct_addr", 1))


def test_a_name_rebound_to_loopback_after_the_check_is_not_followed(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, network: list[str]
) -> None:
    receiver = Receiver().start()
    try:
        port = receiver.url.rsplit(":", 1)[1]
        lookups = fake_dns(monkeypatch, "rebind.test", [PUBLIC], ["127.0.0.1"])
        made = attempt(f"http://rebind.test:{port}/hooks")
        assert network == [PUBLIC]  # the address that was checked, and only it
        assert len(lookups) == 1
        assert (made["status"], made["error"]) == ("failed", "connection_refused")
        assert receiver.deliveries == []
    finally:
        receiver.stop()


def test_a_name_that_resolved_to_loopback_is_refused_whatever_it_resolves_to_next(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, network: list[str]
) -> None:
    lookups = fake_dns(monkeypatch, "rebind.test", ["127.0.0.1"], [PUBLIC])
    made = attempt("http://rebind.test:8080/hooks")
    assert (made["status"], made["error"], len(lookups), network) == ("failed", "url_refused", 1, [])


@pytest.mark.parametrize(
    "addresses",
    [
        [PUBLIC, "10.0.0.7"],  # one bad address among good ones is enough
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["::ffff:10.0.0.1"],
        ["64:ff9b::a9fe:a9fe"],  # NAT64 of 169.254.169.254
        ["0.0.0.0"],  # noqa: S104 - an answer of the fake DNS, not a bind
        ["::"],
        ["fe80::1"],
        ["fd00::1"],
        ["100.64.0.1"],
        ["224.0.0.1"],
    ],
)
def test_every_address_is_checked_at_creation_and_delivery(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, network: list[str], addresses: list[str]
) -> None:
    fake_dns(monkeypatch, "hooks.test", addresses)
    who = auth.authenticate(accounts.create_organization("Dns Co").keys["test"])
    with pytest.raises(InvalidRequest) as refused:
        webhooks.create(who, WebhookEndpointCreate(url="http://hooks.test/hooks", enabled_events=["*"]))
    assert (refused.value.code, refused.value.param) == ("url_invalid", "url")
    assert not any(a in refused.value.message for a in addresses)  # an internal address is never echoed
    made = attempt("http://hooks.test/hooks")
    assert (made["status"], made["error"], network) == ("failed", "url_refused", [])


def _create(gateway: Gateway, key: str, url: str) -> tuple[int, Any]:
    body = f"url={url}&enabled_events[0]=*".encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-www-form-urlencoded"}
    status, _headers, data = gateway.handle("POST", "/v1/webhook_endpoints", headers, body)
    return status, json.loads(data)


def test_loopback_is_refused_unless_the_setting_allows_it(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, network: list[str]) -> None:
    monkeypatch.delenv("ALLOW_LOOPBACK_WEBHOOKS", raising=False)  # as deployed: template.yaml leaves it off
    get_settings.cache_clear()
    receiver = Receiver().start()
    try:
        gateway, key = Gateway(tpl.load()), accounts.create_organization("Loop Co").keys["test"]
        for url in (f"{receiver.url}/hooks", f"{receiver.url.replace('127.0.0.1', 'localhost')}/hooks", "http://[::1]:9/hooks"):
            status, answer = _create(gateway, key, url)
            assert status == 400, answer
            assert {k: answer["error"].get(k) for k in ("type", "code", "param")} == {
                "type": "invalid_request_error", "code": "url_invalid", "param": "url",
            }  # fmt: skip
        # An endpoint saved while loopback was allowed gets nothing either.
        made = attempt(f"{receiver.url}/hooks")
        assert (made["status"], made["error"], network, receiver.deliveries) == ("failed", "url_refused", [], [])

        monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")  # what localrun sets
        get_settings.cache_clear()
        assert _create(gateway, key, f"{receiver.url}/hooks")[0] == 200
        assert attempt(f"{receiver.url}/hooks")["status"] == "succeeded"
        # Never in live mode, whatever the setting.
        live = accounts.create_organization("Live Loop Co").keys["live"]
        assert _create(gateway, live, "https://127.0.0.1:9/hooks")[1]["error"]["code"] == "url_invalid"
        assert attempt("https://127.0.0.1:9/hooks", mode="live")["error"] == "url_refused"
    finally:
        receiver.stop()
        get_settings.cache_clear()


def test_host_and_request_target_are_the_urls_own(loopback: None, monkeypatch: pytest.MonkeyPatch, network: list[str]) -> None:
    receiver = RawReceiver(sends(OK)).start()
    try:
        fake_dns(monkeypatch, "Hooks.Test", ["127.0.0.1"])
        made = attempt(f"http://Hooks.Test:{receiver.port}/in/a%2Fb?x=1&y=%7E")
        assert made["status"] == "succeeded" and network == ["127.0.0.1"]
        head = receiver.requests[0].split(b"\r\n\r\n")[0].decode().split("\r\n")
        assert head[0] == "POST /in/a%2Fb?x=1&y=%7E HTTP/1.1"
        assert f"Host: Hooks.Test:{receiver.port}" in head
    finally:
        receiver.stop()


def _certificate(tmp_path: Path, name: str) -> tuple[Path, ssl.SSLContext]:
    """A CA (its file, for SSL_CERT_FILE) and a server context with a certificate for `name` it signed."""
    now = datetime.datetime.now(datetime.UTC)

    def issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: ec.EllipticCurvePrivateKey) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
        )  # fmt: skip
        if key is signer:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orgshare test CA")])
    ca = issue("orgshare test CA", ca_key, ca_name, ca_key)
    server = issue(name, server_key, ca_name, ca_key)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.key").write_bytes(
        server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    return tmp_path / "ca.pem", context


@pytest.mark.parametrize(("certified", "outcome"), [("hooks.test", ("succeeded", None)), ("other.test", ("failed", "tls_error"))])
def test_tls_verifies_the_host_name_not_the_address(
    loopback: None, monkeypatch: pytest.MonkeyPatch, network: list[str], tmp_path: Path, certified: str, outcome: tuple[str, str | None]
) -> None:
    from orgshare.domain import webhook_http

    ca, server = _certificate(tmp_path, certified)
    names: list[str | None] = []
    server.sni_callback = lambda _sock, name, _context: names.append(name)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the client's trust store: this test's CA
    webhook_http._tls_context.cache_clear()
    receiver = RawReceiver(sends(OK), tls=server).start()
    try:
        fake_dns(monkeypatch, "hooks.test", ["127.0.0.1"])
        made = attempt(f"https://hooks.test:{receiver.port}/hooks")
        assert (made["status"], made.get("error")) == outcome
        assert names == ["hooks.test"] and network == ["127.0.0.1"]
        if certified == "hooks.test":
            assert made["response_status_class"] == "2xx"
            assert f"Host: hooks.test:{receiver.port}".encode() in receiver.requests[0]
    finally:
        receiver.stop()
        webhook_http._tls_context.cache_clear()


def test_local_use_nat64_is_never_public() -> None:
    assert not endpoint_urls.permitted(ipaddress.ip_address("64:ff9b:1::a00:1"), allow_loopback=True)
