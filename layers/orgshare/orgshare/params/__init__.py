"""Request parameter models: what each API operation accepts, validated the way Stripe does.

The package's modules load on first use: `from orgshare import params` imports none of them, and a
handler's `params.customers.CustomerCreate` imports params.customers (pydantic's model machinery
with it) when a request first reads it, so no handler builds a model at its cold import
(tests/unit/test_cold_import.py). `from orgshare.params.customers import CustomerCreate` imports it
at once, as ever.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # What mypy sees: every module, with its types. A module added to the package is added here.
    from orgshare.params import accounts as accounts
    from orgshare.params import checkout as checkout
    from orgshare.params import common as common
    from orgshare.params import customers as customers
    from orgshare.params import events as events
    from orgshare.params import org_keys as org_keys
    from orgshare.params import org_privacy as org_privacy
    from orgshare.params import org_view as org_view
    from orgshare.params import organization as organization
    from orgshare.params import payment_methods as payment_methods
    from orgshare.params import payments as payments
    from orgshare.params import webhooks as webhooks
else:
    import importlib

    def __getattr__(name: str) -> object:
        # Called only for what the package does not hold yet: a module not imported so far. The
        # import lock makes a request that asks while another imports it wait for the whole module.
        if not name.startswith("_"):
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
