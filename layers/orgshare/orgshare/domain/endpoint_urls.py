"""Where webhooks may be sent. A URL is checked as written (the string stored is the string checked
and requested), and its host is resolved once per check: a delivery connects to the very addresses
that were checked, so a name that resolves elsewhere a moment later (DNS rebinding) gains nothing."""

from __future__ import annotations

import ipaddress
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from orgshare.errors import InvalidRequest
from orgshare.settings import get_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (family, sockaddr) as getaddrinfo gives them: what a socket connects to.
SocketAddress = tuple[socket.AddressFamily, Any]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_URL = re.compile(
    rf"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://"
    rf"(?P<host>\[[0-9A-Fa-f:.]+\]|{_LABEL}(?:\.{_LABEL})*\.?)"
    rf"(?::(?P<port>[0-9]{{1,5}}))?"
    rf"(?P<target>(?:/(?:{_PCHAR}|/)*)?(?:\?(?:{_PCHAR}|[/?])*)?)"
)
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Addresses that carry an IPv4 address inside an IPv6 one (NAT64, IPv4-compatible): judged by the IPv4 one.
_EMBEDDING = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
# Never public, whatever Python's tables say: local-use NAT64 (RFC 8215), which leads into a private network.
_LOCAL_ONLY = (ipaddress.IPv6Network("64:ff9b:1::/48"),)


class Unresolvable(InvalidRequest):
    """The host has no address (or its name server did not answer in time)."""


def _refuse(reason: str, kind: type[InvalidRequest] = InvalidRequest) -> InvalidRequest:
    return kind(f"Invalid URL: {reason}", code="url_invalid", param="url")


@dataclass(frozen=True)
class Target:
    url: str  # exactly as written
    scheme: str
    host: str  # as written, without an IPv6 literal's brackets: the Host header, TLS SNI and certificate name
    port: int
    request_target: str  # path and query as written ("/" for none)


def parse(url: str, livemode: bool) -> Target:
    """The URL as written: printable ASCII, absolute http(s), no credentials, no fragment, every `%`
    a complete escape. Nothing is cleaned up: what is refused here is never quietly repaired."""
    if any(not 0x21 <= ord(c) <= 0x7E for c in url):
        raise _refuse("it must be printable ASCII without spaces (percent-encode anything else).")
    if "#" in url:
        raise _refuse("fragments (#...) are not allowed.")
    if _PERCENT.search(url):
        raise _refuse("each % must start a two-digit hex escape.")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("https", "http"):
        raise _refuse("it must be an absolute http(s) URL.")
    if "@" in re.split(r"[/?]", rest, maxsplit=1)[0]:
        raise _refuse("credentials in the URL are not allowed.")
    if livemode and scheme.lower() != "https":
        raise _refuse("live mode endpoints must use https.")
    match = _URL.fullmatch(url)
    if match is None or len(match["host"]) > 255:
        raise _refuse("it is not a valid absolute URL.")
    host = match["host"]
    if host.startswith("["):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _refuse("the IPv6 address is not valid.") from None
    default = 443 if scheme.lower() == "https" else 80
    port = int(match["port"]) if match["port"] else default
    if not 1 <= port <= 65535:
        raise _refuse("the port is not valid.")
    target = match["target"]
    return Target(url, scheme.lower(), host, port, target if target.startswith("/") else "/" + target)


def _embedded(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if any(address in net for net in _EMBEDDING):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def permitted(address: Address, allow_loopback: bool) -> bool:
    """Globally routable unicast (and loopback only where allowed); never link-local or private."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if allow_loopback and (address.is_loopback or (mapped is not None and mapped.is_loopback)):
        return True
    if any(address in net for net in _LOCAL_ONLY):
        return False
    inner = _embedded(address)
    return all(a.is_global and not a.is_multicast for a in [address, *([inner] if inner else [])])


@lru_cache(maxsize=1)
def _resolver() -> ThreadPoolExecutor:
    # getaddrinfo has no timeout of its own: waiting on a thread bounds it by the attempt's deadline.
    return ThreadPoolExecutor(max_workers=get_settings().webhook_concurrency, thread_name_prefix="webhook-dns")


def _lookup(host: str, port: int) -> list[SocketAddress]:
    return [(info[0], info[4]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)]


def resolve(target: Target, livemode: bool, timeout: float) -> list[SocketAddress]:
    """Resolves the host once; every address must be permitted. Connect only to what this returns."""
    try:
        found = _resolver().submit(_lookup, target.host, target.port).result(timeout=max(timeout, 0.001))
    except (OSError, UnicodeError, TimeoutError):
        raise _refuse("the host could not be resolved.", Unresolvable) from None
    if not found:
        raise _refuse("the host could not be resolved.", Unresolvable)
    allow_loopback = not livemode and get_settings().allow_loopback_webhooks
    for _family, sockaddr in found:
        if not permitted(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), allow_loopback):
            # The address itself stays out of the message: it may be an internal one.
            raise _refuse("the host resolves to a private, loopback, link-local or otherwise non-public address.")
    return found


def check(url: str, livemode: bool) -> Target:
    """When an endpoint is saved: the URL as written, and where its host resolves now."""
    target = parse(url, livemode)
    resolve(target, livemode, get_settings().webhook_timeout_seconds)
    return target
