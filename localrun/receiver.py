"""A webhook receiver on 127.0.0.1, for trying webhooks locally (and for the tests and the bench).

    python -m localrun.receiver --port 9999 --secret whsec_...

prints each event it receives after checking its signature with the stripe SDK
(`stripe.Webhook.construct_event`), as a real receiver must.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    path: str
    body: str
    signature: str
    received: float


@dataclass
class Behaviour:
    """How one path answers: fail the first `fail_first` requests with 500, wait for `wait_for`
    (or `delay` seconds) before answering."""

    fail_first: int = 0
    delay: float = 0.0
    wait_for: threading.Event | None = None
    wait_timeout: float = 10.0
    seen: int = 0


@dataclass
class Receiver:
    deliveries: list[Delivery] = field(default_factory=list)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                behaviour = receiver.behaviours.setdefault(self.path, Behaviour())
                behaviour.seen += 1
                if behaviour.wait_for is not None:
                    behaviour.wait_for.wait(behaviour.wait_timeout)
                if behaviour.delay:
                    time.sleep(behaviour.delay)  # the endpoint's own slowness, which is what is being measured
                failing = behaviour.seen <= behaviour.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if not failing:
                    with receiver.changed:
                        receiver.deliveries.append(Delivery(self.path, body, self.headers.get("Stripe-Signature", ""), time.monotonic()))
                        receiver.changed.notify_all()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the listen backlog: a burst of concurrent deliveries must not be refused
            daemon_threads = True

        self.server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def wait_until(self, predicate: Callable[[list[Delivery]], bool], timeout: float = 20.0) -> list[Delivery]:
        """Blocks until `predicate(deliveries)` holds (or fails after `timeout`), then returns them."""
        with self.changed:
            if not self.changed.wait_for(lambda: predicate(self.deliveries), timeout=timeout):
                raise TimeoutError(f"deliveries never matched; got {len(self.deliveries)}")
            return list(self.deliveries)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()


def main() -> None:
    import stripe

    parser = argparse.ArgumentParser(
        prog="python -m localrun.receiver", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret, shown when it was created")
    args = parser.parse_args()
    receiver = Receiver().start(args.port)
    print(f"listening on {receiver.url}; create an endpoint with url={receiver.url}/hooks", flush=True)
    shown = 0

    def more_than(count: int) -> Callable[[list[Delivery]], bool]:
        return lambda deliveries: len(deliveries) > count

    while True:
        deliveries = receiver.wait_until(more_than(shown), timeout=3600 * 24)
        for delivery in deliveries[shown:]:
            try:
                event = stripe.Webhook.construct_event(delivery.body, delivery.signature, args.secret)
                print(f"{event.type:<28} {event.id}  context={event['context']}", flush=True)
            except stripe.SignatureVerificationError:
                print("REJECTED: the signature does not match this secret", flush=True)
        shown = len(deliveries)


if __name__ == "__main__":
    main()
