"""localstripe, with one check brought in line with Stripe's API: `card[cvc]` is optional when a
payment method is created (a saved card has no CVC; Stripe accepts it, localstripe asserts one).
localstripe never verifies the value, so the stand-in below changes nothing else.

    python -m tests.support.localstripe_server --port 8420
"""

from __future__ import annotations

import sys
from typing import Any

from localstripe import resources
from localstripe.server import start

_original = resources.PaymentMethod.__init__


def _cvc_optional(self: Any, type: Any = None, card: Any = None, **kwargs: Any) -> None:  # noqa: A002 - localstripe's name
    if type == "card" and isinstance(card, dict) and "cvc" not in card:
        card = {**card, "cvc": "000"}
    _original(self, type=type, card=card, **kwargs)


resources.PaymentMethod.__init__ = _cvc_optional

if __name__ == "__main__":
    sys.exit(start())
