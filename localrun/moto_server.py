"""moto in server mode on 127.0.0.1, as moto's ThreadedMotoServer runs it, with two changes
for a system that talks to it all the time:

- DynamoDB and DynamoDB Streams requests take turns: moto's DynamoDB is not safe against
  concurrent writes to a table (the event path writes while requests are served); the other
  services (SQS long polls among them) stay concurrent. Transactions back up only what they touch
  (see moto_transactions).
- moto's lookup of the backend for a host (a listing of its package directory) is remembered.

Its listen backlog is werkzeug's (128), so a burst of new connections is queued, not refused.
`turn` and `on_change` are what local persistence needs: a moment when no table changes, and a
signal after each change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from localrun import moto_transactions


class _Dispatcher(DomainDispatcherApplication):
    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


# Requests (by the operation in X-Amz-Target) that change what a snapshot holds (see persistence).
_CHANGES = ("Put", "Update", "Delete", "TransactWrite", "BatchWrite", "Send", "ChangeMessageVisibility", "Create", "Purge")


class MotoServer:
    def __init__(self) -> None:
        moto_transactions.install()
        self.turn = threading.Lock()  # DynamoDB's: held by every DynamoDB request, and by a snapshot
        self.on_change: Callable[[], None] | None = None  # called after each request that changed something
        self.server = make_server("127.0.0.1", 0, self._application(_Dispatcher()), threaded=True, request_handler=MotoRequestHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _application(self, app: Any) -> Any:
        def application(environ: dict[str, Any], start_response: Any) -> Any:
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            if target.startswith(("DynamoDB_", "DynamoDBStreams_")):
                with self.turn:
                    answer = list(app(environ, start_response))  # the whole answer, inside the turn
            else:
                answer = app(environ, start_response)
            if self.on_change is not None and target.rpartition(".")[2].startswith(_CHANGES):
                self.on_change()
            return answer

        return application

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
