"""localstripe (a fake Stripe API) for the stripe connector to charge, on 127.0.0.1 only, in memory.

Three changes from `localstripe` as installed:
- it listens on 127.0.0.1, not on every interface;
- it keeps nothing on disk (localstripe pickles its whole store to /tmp/localstripe.pickle after
  every write and loads it at start, so runs would share data, and a run killed mid-write would
  leave a file the next one cannot load);
- `card[cvc]` is optional when a payment method is created, as in Stripe's API (a saved card has
  no CVC; localstripe asserts one but never verifies its value).

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
    from localstripe import resources
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
