"""localstripe (a fake Stripe API) for the stripe connector to charge, on 127.0.0.1 only, in memory.

Five changes from `localstripe` as installed:
- it listens on 127.0.0.1, not on every interface;
- it keeps nothing on disk (localstripe pickles its whole store to /tmp/localstripe.pickle after
  every write and loads it at start, so runs would share data, and a run killed mid-write would
  leave a file the next one cannot load);
- `card[cvc]` is optional when a payment method is created, as in Stripe's API (a saved card has
  no CVC; localstripe asserts one but never verifies its value);
- a PaymentIntent takes `automatic_payment_methods` (the stripe connector sends `enabled=true`,
  `allow_redirects=never`, which current API versions need to confirm without a `return_url`, and
  which localstripe 1.15 refuses as unexpected); localstripe models cards only, so it is ignored;
- `off_session=true` with a card that requires authentication is Stripe's 402 card_error
  `authentication_required`, the intent left in requires_payment_method (localstripe accepts
  `off_session` but asks for 3-D Secure anyway, which no customer is there to complete).

    python -m localrun.localstripe --port 8420    (--port 0: any free port; the first line says which)
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import threading
from typing import Any


def main() -> None:
    # Imported here: launch() runs in processes (tests, bench) that need none of it.
    from aiohttp import web
    from localstripe import errors, resources
    from localstripe.server import app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    original = resources.PaymentMethod.__init__

    def cvc_optional(self: Any, type: Any = None, card: Any = None, **kwargs: Any) -> None:  # noqa: A002 - localstripe's name
        if type == "card" and isinstance(card, dict) and "cvc" not in card:
            card = {**card, "cvc": "000"}
        original(self, type=type, card=card, **kwargs)

    resources.PaymentMethod.__init__ = cvc_optional
    original_intent = resources.PaymentIntent.__init__

    def automatic_payment_methods(self: Any, automatic_payment_methods: Any = None, **kwargs: Any) -> None:
        if automatic_payment_methods is not None and not (
            isinstance(automatic_payment_methods, dict) and "enabled" in automatic_payment_methods
        ):
            raise errors.UserError(400, "automatic_payment_methods[enabled] is required")
        original_intent(self, **kwargs)

    resources.PaymentIntent.__init__ = automatic_payment_methods
    original_create = resources.PaymentIntent._api_create.__func__

    def off_session_as_stripe(cls: Any, /, confirm: Any = None, off_session: Any = None, **data: Any) -> Any:
        method = data.get("payment_method")
        if (
            resources.try_convert_to_bool(off_session) is True
            and resources.try_convert_to_bool(confirm) is True
            and isinstance(method, str)
            and method.startswith("pm_")
            and resources.PaymentMethod._api_retrieve(method)._requires_authentication()
        ):
            intent = original_create(cls, confirm=False, **data)
            intent.payment_method = None  # requires_payment_method, as Stripe leaves it
            error = errors.UserError(
                402,
                "Your card was declined. This transaction requires authentication.",
                {"code": "authentication_required", "decline_code": "authentication_required", "payment_intent": intent._export()},
            )
            error.body["error"]["type"] = "card_error"
            raise error
        return original_create(cls, confirm=confirm, off_session=off_session, **data)

    resources.PaymentIntent._api_create = classmethod(off_session_as_stripe)
    resources.Store.dump_to_disk = lambda self: None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # aiohttp prints once the server accepts connections: that line is the readiness signal.
    web.run_app(app, sock=sock, print=lambda _: print(f"localstripe listening on {url}", flush=True))


def launch() -> tuple[subprocess.Popen[str], str]:
    """Starts it on a free port; returns the process and its URL once it accepts connections."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "localrun.localstripe", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # ends when the process does
        seen.append(line)
        if match := re.search(r"listening on (http://127\.0\.0\.1:\d+)", line):
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # a full pipe would block it
            return proc, match.group(1)
    raise RuntimeError("localstripe did not start:\n" + "".join(seen))


if __name__ == "__main__":
    main()
