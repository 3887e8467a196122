"""Where webhooks may be sent. Checked when an endpoint is saved and again before each delivery
(a host may resolve elsewhere later)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from orgshare.errors import InvalidRequest


def _refuse(reason: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid URL: {reason}", code="url_invalid", param="url")


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise _refuse(f"the host {host} could not be resolved.") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check(url: str, livemode: bool) -> None:
    """Live endpoints: https, and every address of the host globally routable. Test endpoints:
    http or https, and also loopback (http://localhost for development). Never link-local
    (169.254.169.254, the cloud metadata service, is link-local) or private."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refuse("it must be an absolute http(s) URL.")
    if livemode and parts.scheme != "https":
        raise _refuse("live mode endpoints must use https.")
    if parts.username or parts.password:
        raise _refuse("credentials in the URL are not allowed.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse("the port is not valid.") from None
    for address in _addresses(parts.hostname, port):
        if address.is_global:
            continue
        if address.is_loopback and not livemode:
            continue
        raise _refuse(f"{parts.hostname} resolves to a private, loopback or link-local address ({address}).")
