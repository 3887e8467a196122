"""moto for the local system, two ways to the same backends:

- in-process for the system itself (its handlers, pollers and event path): botocore's requests
  are answered by moto's stubber without HTTP, where each call was a new connection to a server
  thread (werkzeug's server closes every one) and most of a request's time;
- in server mode on 127.0.0.1, as moto's ThreadedMotoServer runs it, for everything outside the
  process (the admin command with --local, tests reading the tables).

Either way:
- DynamoDB and DynamoDB Streams requests take turns: moto's DynamoDB is not safe against
  concurrent writes to a table (the event path writes while requests are served); the other
  services stay concurrent. Transactions back up only what they touch (moto_transactions); a
  Query walks only what it names (moto_queries).
- each change is signalled (`changes`): the event path's pollers wait for one instead of polling
  an idle stream or queue, and local persistence snapshots after it (`on_change`).

Its listen backlog is werkzeug's (128), so a burst of new connections is queued, not refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core import models as moto_models
from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from localrun import moto_queries, moto_transactions


class _Dispatcher(DomainDispatcherApplication):
    """moto's server app, remembering the backend for a host (moto lists its package directory each time)."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


# Operations (the part of X-Amz-Target after the dot) that change what a snapshot holds (see persistence).
_CHANGES = ("Put", "Update", "Delete", "TransactWrite", "BatchWrite", "Send", "ChangeMessageVisibility", "Create", "Purge")
_DYNAMODB = ("DynamoDB_", "DynamoDBStreams_")


class Changes:
    """A counter per kind ("tables": DynamoDB; "messages": SQS and EventBridge) that each change
    moves on, and a wait for the next one: a poller reads `seen` before it polls and, finding
    nothing, waits for the counter to pass it, so a change between the two is never missed."""

    def __init__(self) -> None:
        self._counts = {"tables": 0, "messages": 0}
        self._moved = threading.Condition()
        self._waiting: dict[int, tuple[str, int]] = {}  # each waiting poller's thread: (kind, the count it found nothing at)

    def seen(self, kind: str) -> int:
        with self._moved:
            return self._counts[kind]

    def wait(self, kind: str, seen: int, timeout: float) -> None:
        with self._moved:
            self._waiting[threading.get_ident()] = (kind, seen)
            self._moved.notify_all()
            self._moved.wait_for(lambda: self._counts[kind] != seen, timeout)
            del self._waiting[threading.get_ident()]

    def wait_quiet(self, pollers: int, timeout: float) -> bool:
        """True once `pollers` pollers all wait, each having found nothing since the last change
        of its kind (what no change announces, a message whose delay ends later, is not counted);
        False after `timeout`."""
        with self._moved:
            return self._moved.wait_for(
                lambda: len(self._waiting) == pollers and all(self._counts[k] == s for k, s in self._waiting.values()), timeout
            )

    def changed(self, kind: str) -> None:
        with self._moved:
            self._counts[kind] += 1
            self._moved.notify_all()


def _header(headers: Any, name: str) -> str:
    value = headers.get(name, b"")
    return value.decode() if isinstance(value, bytes) else str(value or "")


_current: list[MotoServer] = []  # the server whose turn and signals this process's own calls take
_patched: list[bool] = []  # moto's stubber wrapped, once per process (twice would take the turn twice)


def _answer_in_process() -> None:
    """botocore's calls to AWS's own endpoints (no AWS_ENDPOINT_URL) answered by moto in this
    process: its stubber, registered with botocore when moto.core is imported, switched on
    without mock_aws (which would reset the backends and patch `requests` for every caller)."""
    if not _patched:
        _patched.append(True)
        process = BotocoreStubber.process_request

        def process_request(stubber: BotocoreStubber, request: Any) -> Any:
            if not _current:  # every server stopped: moto's own stubber, as mock_aws uses it
                return process(stubber, request)
            return _current[-1].served(_header(request.headers, "X-Amz-Target"), lambda: process(stubber, request))

        BotocoreStubber.process_request = process_request  # type: ignore[method-assign,assignment]
    moto_models.botocore_stubber.enabled = True


class MotoServer:
    def __init__(self) -> None:
        moto_transactions.install()
        moto_queries.install()
        self.turn = threading.Lock()  # DynamoDB's: held by every DynamoDB request, and by a snapshot
        self.on_change: Callable[[], None] | None = None  # called after each request that changed something
        self.changes = Changes()
        self.server = make_server("127.0.0.1", 0, self._application(_Dispatcher()), threaded=True, request_handler=MotoRequestHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        _answer_in_process()
        _current.append(self)

    def served(self, target: str, serve: Callable[[], Any]) -> Any:
        """`serve()`'s answer, in DynamoDB's turn for a DynamoDB request, and its change signalled."""
        if target.startswith(_DYNAMODB):
            with self.turn:
                answer = serve()
        else:
            answer = serve()
        if target.rpartition(".")[2].startswith(_CHANGES):
            self.changes.changed("tables" if target.startswith(_DYNAMODB) else "messages")
            if self.on_change is not None:
                self.on_change()
        return answer

    def _application(self, app: Any) -> Any:
        def application(environ: dict[str, Any], start_response: Any) -> Any:
            # The whole answer inside the turn (a lazy body would be read outside it).
            return self.served(environ.get("HTTP_X_AMZ_TARGET", ""), lambda: list(app(environ, start_response)))

        return application

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        _current.remove(self)
        if not _current:
            moto_models.botocore_stubber.enabled = False
