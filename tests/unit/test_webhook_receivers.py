"""Hostile webhook receivers (tiny raw-socket servers on 127.0.0.1) through the real dispatcher
handler, with moto: each message's delivery fails alone, another organization's endpoint in the
same batch gets its event exactly once, and attempts record only a status class and one word."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from localrun import template as tpl
from localrun.gateway import Function
from localrun.receiver import Receiver
from orgshare import messaging
from orgshare.domain import accounts, auth, webhooks
from orgshare.domain.principal import Principal
from orgshare.ids import new_id
from orgshare.observability import logger
from orgshare.params.webhooks import WebhookEndpointCreate
from orgshare.settings import get_settings
from orgshare.storage import events as events_store
from tests.unit.test_event_path import drain

TIMEOUT = 1.0  # WEBHOOK_TIMEOUT_SECONDS in these tests
MARKER = "hostile-7f3a"  # in every hostile answer: it must never reach an attempt record or a log line


def _read_request(conn: socket.socket) -> bytes:
    """The request head and its body (read in full, so closing never resets what was sent back)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def trickle(prefix: bytes, for_seconds: float = 15.0) -> Callable[[socket.socket], None]:
    """Sends `prefix`, then one byte every 0.2 s (each read well within the timeout) until the
    client goes away or `for_seconds` pass."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(prefix)
        pace, ends = threading.Event(), time.monotonic() + for_seconds
        while time.monotonic() < ends:
            pace.wait(0.2)  # the receiver's own pace, which is the behaviour under test
            try:
                conn.sendall(b"a")
            except OSError:
                return

    return answer


def sends(data: bytes) -> Callable[[socket.socket], None]:
    return lambda conn: conn.sendall(data)


@dataclass
class RawReceiver:
    """Accepts connections on 127.0.0.1 (over TLS with `tls`), reads each request, then lets
    `answer` do what it likes."""

    answer: Callable[[socket.socket], None]
    tls: ssl.SSLContext | None = None
    requests: list[bytes] = field(default_factory=list)
    listener: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))

    @property
    def port(self) -> int:
        port: int = self.listener.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> RawReceiver:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                return  # the client refused the certificate
        with conn:
            self.requests.append(_read_request(conn))
            with contextlib.suppress(OSError):  # the client gave up: what it is meant to do
                self.answer(conn)

    def stop(self) -> None:
        self.listener.close()


HOSTILE: dict[str, tuple[Callable[[socket.socket], None], str]] = {
    "answers HTTP/2.0": (sends(f"HTTP/2.0 200 OK\r\nX-Why: {MARKER}\r\n\r\n".encode()), "invalid_response"),
    "a garbage status line": (sends(f"SURPRISE {MARKER}\r\n\r\n".encode()), "invalid_response"),
    "101 headers": (sends(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: %s\r\n" % (n, MARKER.encode()) for n in range(101)) + b"\r\n"),
                    "invalid_response"),
    "a 70 KB header line": (sends(b"HTTP/1.1 200 OK\r\nX-Big: " + MARKER.encode() * 6000 + b"\r\n\r\n"), "invalid_response"),
    "trickles its headers": (trickle(b"HTTP/1.1 200 OK\r\nX-Slow: "), "timeout"),
    "trickles its status line": (trickle(b"HTTP/1.1 2"), "timeout"),
    "closes mid-headers": (sends(f"HTTP/1.1 200 OK\r\nX-Cut: {MARKER}\r\nContent-Ty".encode()), "invalid_response"),
    "closes without answering": (sends(b""), "invalid_response"),
    "answers 101 Switching Protocols": (sends(f"HTTP/1.1 101 {MARKER}\r\n\r\n".encode()), "invalid_response"),
    "answers status 999": (sends(f"HTTP/1.1 999 {MARKER}\r\n\r\n".encode()), "invalid_response"),
}  # fmt: skip


def dispatcher() -> Function:
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")["DispatcherFunction"]
    return Function("DispatcherFunction", tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"])


@pytest.fixture
def env(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")  # these receivers are on 127.0.0.1
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", str(TIMEOUT))
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0,0")  # a retry is visible on the queue at once
    get_settings.cache_clear()
    yield aws
    get_settings.cache_clear()


class Lines(logging.Handler):
    """Every log record, with its extra fields and any traceback, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.lines.append(json.dumps(vars(record), default=str) + trace)


@pytest.fixture
def logged() -> Iterator[list[str]]:
    lines, target = Lines(), logging.getLogger(logger.name)  # the dispatcher's (powertools) logger
    target.addHandler(lines)
    yield lines.lines
    target.removeHandler(lines)


def organization(name: str) -> Principal:
    return auth.authenticate(accounts.create_organization(name).keys["test"])


def subscribe(who: Principal, url: str) -> str:
    endpoint_id: str = webhooks.create(who, WebhookEndpointCreate(url=url, enabled_events=["*"]))["id"]
    return endpoint_id


def message(who: Principal, message_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bus event for `who`'s account, as the delivery queue hands it to the dispatcher."""
    event = {"id": new_id("evt"), "object": "event", "type": "customer.created", "context": who.account, "data": {"object": {}}}
    envelope = {"detail": {"org": who.org, "mode": "test", "account": who.account, "org_copy": False, "event": event}}
    record = {"messageId": message_id, "body": json.dumps(envelope), "eventSource": "aws:sqs", "receiptHandle": "r", "attributes": {},
              "messageAttributes": {}}  # fmt: skip
    return record, event


def attempts_of(who: Principal, event: dict[str, Any]) -> list[dict[str, Any]]:
    return events_store.list_attempts(who.org, "test", event["id"])


def outcome(attempt: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return attempt["status"], attempt.get("response_status_class"), attempt.get("error")


@pytest.mark.parametrize("behaviour", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_receiver_fails_only_its_own_delivery(env: dict[str, str], behaviour: str, logged: list[str]) -> None:
    answer, error = HOSTILE[behaviour]
    hostile_receiver, good_receiver = RawReceiver(answer).start(), Receiver().start()
    try:
        hostile, good = organization("Hostile Co"), organization("Good Co")
        hostile_endpoint = subscribe(hostile, hostile_receiver.url)
        subscribe(good, f"{good_receiver.url}/hooks")
        (bad_record, bad_event), (good_record, good_event) = message(hostile, "hostile"), message(good, "good")

        started = time.monotonic()
        reply = dispatcher().invoke({"Records": [bad_record, good_record]})
        took = time.monotonic() - started

        # The other organization: its event, exactly once, and recorded as delivered; the batch
        # itself succeeded, so no message is handed over again (which would post twice).
        delivered = good_receiver.wait_until(lambda ds: len(ds) >= 1)
        assert [json.loads(d.body)["id"] for d in delivered] == [good_event["id"]]
        assert reply.get("batchItemFailures") == []
        [good_attempt] = attempts_of(good, good_event)
        assert outcome(good_attempt) == ("succeeded", "2xx", None)
        # The hostile one: a failed attempt (one word, no status) and a retry of its own.
        [bad_attempt] = attempts_of(hostile, bad_event)
        assert outcome(bad_attempt) == ("failed", None, error)
        retries = drain(env["DELIVERY_SLOW_QUEUE_URL"])  # retries take the slow lane
        assert [(r["endpoint"], r["attempt"]) for r in retries] == [(hostile_endpoint, 2)]
        # A trickling receiver (15 s of it) holds its thread for the timeout, not a byte at a time.
        assert bad_attempt["latency_ms"] < (TIMEOUT + 1.0) * 1000 and took < TIMEOUT + 5.0
        assert len(hostile_receiver.requests) == 1 and b"Stripe-Signature" in hostile_receiver.requests[0]
        assert logged, "nothing was logged: the next check would prove nothing"
        assert MARKER not in json.dumps(bad_attempt, default=str) + "".join(logged)
    finally:
        hostile_receiver.stop()
        good_receiver.stop()


@pytest.mark.parametrize(
    ("answer", "status_class", "status"),
    [
        (f"HTTP/1.1 418 {MARKER}\r\nContent-Length: 0\r\n\r\n", "4xx", "failed"),
        (f"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/{MARKER}\r\n\r\n", "3xx", "failed"),
        (f"HTTP/1.1 503 {MARKER}\r\n\r\n", "5xx", "failed"),
        (f"HTTP/1.1 204 {MARKER}\r\n\r\n", "2xx", "succeeded"),
        # The body is never read: one that never ends cannot make a success time out.
        ("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + MARKER, "2xx", "succeeded"),
    ],
    ids=["418", "302 to the metadata service", "503", "204", "an endless body"],
)
def test_attempts_keep_only_the_status_class(env: dict[str, str], answer: str, status_class: str, status: str) -> None:
    receiver = RawReceiver(sends(answer.encode())).start()
    try:
        who = organization("Classy Co")
        subscribe(who, receiver.url)
        record, event = message(who, "m1")
        assert dispatcher().invoke({"Records": [record]}).get("batchItemFailures") == []
        [attempt] = attempts_of(who, event)
        assert outcome(attempt) == (status, status_class, None)
        assert "response_status" not in attempt and MARKER not in json.dumps(attempt, default=str)
        assert len(receiver.requests) == 1  # a redirect is not followed
    finally:
        receiver.stop()


def test_a_refused_connection_is_one_word(env: dict[str, str]) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    who = organization("Refused Co")
    subscribe(who, f"http://127.0.0.1:{port}/hooks")
    closed.close()  # nothing listens there any more
    record, event = message(who, "m1")
    assert dispatcher().invoke({"Records": [record]}).get("batchItemFailures") == []
    [attempt] = attempts_of(who, event)
    assert outcome(attempt) == ("failed", None, "connection_refused")


def test_every_endpoint_of_every_message_is_posted_at_once(env: dict[str, str]) -> None:
    # Each receiver answers only once both have their request: posted one after the other, the
    # first would time out (after TIMEOUT) waiting for the second.
    both = threading.Barrier(2, timeout=10)

    def together(conn: socket.socket) -> None:
        both.wait()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    first, second = RawReceiver(together).start(), RawReceiver(together).start()
    try:
        a, b = organization("First Co"), organization("Second Co")
        subscribe(a, first.url)
        subscribe(b, second.url)
        (record_a, event_a), (record_b, event_b) = message(a, "a"), message(b, "b")
        assert dispatcher().invoke({"Records": [record_a, record_b]}).get("batchItemFailures") == []
        assert [x["status"] for x in attempts_of(a, event_a) + attempts_of(b, event_b)] == ["succeeded", "succeeded"]
    finally:
        first.stop()
        second.stop()


@pytest.mark.parametrize("failing", ["recording its attempts", "scheduling its retry"])
def test_a_message_that_cannot_be_settled_fails_alone(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    """Writing one message's attempts or retry fails: only that message is handed over again; the
    rest of the batch is delivered and recorded once."""
    good_receiver = Receiver().start()
    closed = socket.create_server(("127.0.0.1", 0))
    try:
        hostile, good = organization("Unlucky Co"), organization("Good Co")
        subscribe(hostile, f"http://127.0.0.1:{closed.getsockname()[1]}/hooks")  # refused: a retry to schedule
        subscribe(good, f"{good_receiver.url}/hooks")
        closed.close()
        real_put, real_enqueue = events_store.put_attempts, messaging.enqueue_deliveries

        def put_attempts(org: str, mode: str, attempts: list[dict[str, Any]], expires_at: int) -> None:
            if org == hostile.org and failing == "recording its attempts":
                raise RuntimeError("DynamoDB said no")
            real_put(org, mode, attempts, expires_at)

        def enqueue(messages: list[tuple[dict[str, Any], int]]) -> None:
            if any(m.get("org") == hostile.org for m, _ in messages) and failing == "scheduling its retry":
                raise messaging.PublishFailed("SQS said no")
            real_enqueue(messages)

        monkeypatch.setattr(events_store, "put_attempts", put_attempts)
        monkeypatch.setattr(messaging, "enqueue_deliveries", enqueue)
        (bad_record, _), (good_record, good_event) = message(hostile, "unlucky"), message(good, "good")
        reply = dispatcher().invoke({"Records": [bad_record, good_record]})

        assert reply["batchItemFailures"] == [{"itemIdentifier": "unlucky"}]
        delivered = good_receiver.wait_until(lambda ds: len(ds) >= 1)
        assert [json.loads(d.body)["id"] for d in delivered] == [good_event["id"]]
        assert [a["status"] for a in attempts_of(good, good_event)] == ["succeeded"]
    finally:
        good_receiver.stop()
