"""One webhook POST, whatever the receiver does.

- One deadline for the whole attempt (name lookup, connect, TLS, request, status line and
  headers): every socket operation waits at most until it, so a receiver trickling a byte now and
  then cannot hold the thread longer than a silent one.
- The host is resolved once, every address checked, and the socket connected to a checked
  address; TLS verifies the certificate for the host name (sent as SNI and in `Host`).
- The status line and headers are read with http.client's limits; the body is never read.
- Nothing is raised: every failure is an `Answer` with one word from `ERRORS`, never the
  receiver's exact status, text or addresses.
"""

from __future__ import annotations

import http.client
import math
import socket
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, get_args

from orgshare.domain import endpoint_urls
from orgshare.errors import InvalidRequest
from orgshare.observability import logger

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

# What an attempt records of a failure; internal_error is orgshare's own (the payload could not be signed).
Error = Literal[
    "url_refused", "dns_failed", "timeout", "connection_refused", "connection_failed", "tls_error", "invalid_response", "internal_error"
]
ERRORS: frozenset[str] = frozenset(get_args(Error))
StatusClass = Literal["2xx", "3xx", "4xx", "5xx"]


@dataclass(frozen=True)
class Answer:
    status_class: StatusClass | None
    error: Error | None

    @property
    def succeeded(self) -> bool:
        return self.status_class == "2xx" and self.error is None


class _Truncated(http.client.HTTPException):
    """The connection ended inside the status line or headers."""


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the attempt's deadline passed")
    return left


class _TcpSocket(socket.socket):
    deadline = math.inf
    ended = False  # saw the end of the stream

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(_left(self.deadline))
        received = super().recv_into(buffer, nbytes, flags)
        self.ended = self.ended or received == 0
        return received

    def send(self, data: ReadableBuffer, flags: int = 0, /) -> int:
        self.settimeout(_left(self.deadline))
        return super().send(data, flags)

    def sendall(self, data: ReadableBuffer, flags: int = 0, /) -> None:
        self.settimeout(_left(self.deadline))
        super().sendall(data, flags)


class _TlsSocket(ssl.SSLSocket):
    deadline = math.inf
    ended = False

    def recv_into(self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(_left(self.deadline))
        received = super().recv_into(buffer, nbytes, flags)
        self.ended = self.ended or received == 0
        return received

    def send(self, data: ReadableBuffer, flags: int = 0) -> int:
        self.settimeout(_left(self.deadline))
        return super().send(data, flags)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        self.settimeout(_left(self.deadline))
        super().sendall(data, flags)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()  # verifies the chain and the host name
    context.sslsocket_class = _TlsSocket
    return context


class _Connection(http.client.HTTPConnection):
    """http.client on a socket already connected to a checked address (it would resolve again)."""

    def __init__(self, target: endpoint_urls.Target, sock: socket.socket) -> None:
        super().__init__(target.host, target.port)
        self.default_port = 443 if target.scheme == "https" else 80  # `Host` names the port only when not the scheme's
        self._connected = sock

    def connect(self) -> None:
        self.sock = self._connected


def _connect(addresses: list[endpoint_urls.SocketAddress], deadline: float) -> _TcpSocket:
    last: OSError = ConnectionRefusedError()
    for family, sockaddr in addresses:
        sock = _TcpSocket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_left(deadline))
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise
            last = exc
            continue
        sock.deadline = deadline
        return sock
    raise last


def _open(target: endpoint_urls.Target, addresses: list[endpoint_urls.SocketAddress], deadline: float) -> _TcpSocket | _TlsSocket:
    sock = _connect(addresses, deadline)
    if target.scheme != "https":
        return sock
    try:
        sock.settimeout(_left(deadline))  # bounds the whole handshake
        tls = _tls_context().wrap_socket(sock, server_hostname=target.host)
    except BaseException:
        sock.close()
        raise
    assert isinstance(tls, _TlsSocket)
    tls.deadline = deadline
    return tls


def _status(
    target: endpoint_urls.Target, addresses: list[endpoint_urls.SocketAddress], body: bytes, headers: dict[str, str], deadline: float
) -> int:
    sock = _open(target, addresses, deadline)
    connection = _Connection(target, sock)
    try:
        connection.request("POST", target.request_target, body=body, headers={**headers, "Connection": "close"})
        status = connection.getresponse().status  # the status line and headers; the body is left unread
        if sock.ended:  # headers cut off by the end of the stream are no answer
            raise _Truncated()
        return status
    finally:
        connection.close()
        sock.close()


def _error_of(exc: BaseException) -> Error:
    # Order matters: ssl errors and http.client's RemoteDisconnected are OSErrors too.
    if isinstance(exc, endpoint_urls.Unresolvable):
        return "dns_failed"
    if isinstance(exc, InvalidRequest):
        return "url_refused"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls_error"
    if isinstance(exc, http.client.HTTPException):
        return "invalid_response"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, OSError):
        return "connection_failed"
    # Not one of the expected failures: its type (never its text, which may quote the receiver) is logged.
    logger.warning("webhook attempt failed unexpectedly", extra={"error_type": type(exc).__name__})
    return "invalid_response"


def status_class(status: int) -> StatusClass | None:
    classes: dict[int, StatusClass] = {2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
    return classes.get(status // 100) if 200 <= status < 600 else None


def post(url: str, body: bytes, headers: dict[str, str], *, livemode: bool, timeout: float) -> Answer:
    """POSTs `body` to `url` (checked as written) and says how it went; never raises."""
    deadline = time.monotonic() + timeout
    try:
        target = endpoint_urls.parse(url, livemode)
        addresses = endpoint_urls.resolve(target, livemode, _left(deadline))
        status = _status(target, addresses, body, headers, deadline)
    except Exception as exc:  # whatever the receiver did, it fails this attempt only
        return Answer(None, _error_of(exc))
    found = status_class(status)
    return Answer(found, None if found else "invalid_response")
