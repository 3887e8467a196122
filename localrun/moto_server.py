"""moto in server mode on 127.0.0.1, as moto's ThreadedMotoServer runs it, with two changes
for a system that talks to it all the time:

- DynamoDB and DynamoDB Streams requests take turns: moto's DynamoDB is not safe against
  concurrent writes to a table (the event path writes while requests are served); the other
  services (SQS long polls among them) stay concurrent. Transactions back up only what they touch
  (see moto_transactions).
- moto's lookup of the backend for a host (a listing of its package directory) is remembered.
"""

from __future__ import annotations

import threading
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


def _taking_turns(app: Any) -> Any:
    lock = threading.Lock()

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(("DynamoDB_", "DynamoDBStreams_")):
            with lock:
                return list(app(environ, start_response))  # the whole answer, inside the turn
        return app(environ, start_response)

    return application


class MotoServer:
    def __init__(self) -> None:
        moto_transactions.install()
        app = _taking_turns(_Dispatcher())
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
