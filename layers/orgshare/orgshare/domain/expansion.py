"""expand[]: an id in an answer replaced by the object it names, as Stripe does (`customer`,
`payment_method`, `latest_charge.customer`, `data.customer` in lists, up to four levels).

An expanded object is read exactly as the caller would retrieve it, with the caller's principal:
its pool's customers and cards, its account's charges and intents. So an id the caller cannot see
(another pool's, a customer that moved away) is never expanded: it stays the id it was, as Stripe
leaves an id it cannot resolve. Handlers wrap one domain call in `run`; the paths that domain
expands itself (`latest_charge`, a charge's `refunds`) are left to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from orgshare.domain import charges, customers, payment_methods, payments, setup_intents
from orgshare.domain.principal import Principal
from orgshare.errors import ApiError, InvalidRequest
from orgshare.params.common import Params
from orgshare.params.customers import CustomerRetrieve
from orgshare.params.payment_methods import PaymentMethodRetrieve

P = TypeVar("P", bound=Params)
Loader = Callable[[Principal, list[str]], dict[str, dict[str, Any]]]
MAX_LEVELS = 4  # Stripe's limit
DOMAIN = ""  # a field its own domain shows expanded (nothing below it to expand here)

# What each object's fields expand to: the kind of object the id names.
FIELDS: dict[str, dict[str, str]] = {
    "payment_intent": {"customer": "customer", "payment_method": "payment_method", "latest_charge": "charge"},
    "charge": {"customer": "customer", "payment_intent": "payment_intent", "refunds": DOMAIN, "balance_transaction": DOMAIN},
    "payment_method": {"customer": "customer"},
    "checkout.session": {"customer": "customer", "payment_intent": "payment_intent", "setup_intent": "setup_intent"},
    "setup_intent": {"customer": "customer", "payment_method": "payment_method"},
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "customer": {},
}


def _one_by_one(read: Callable[[Principal, str], dict[str, Any]]) -> Loader:
    """A loader over a retrieve: what the caller cannot see (a 404 for it) is left out."""

    def load(principal: Principal, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for object_id in ids:
            try:
                found[object_id] = read(principal, object_id)
            except ApiError:
                continue
        return found

    return load


LOADERS: dict[str, Loader] = {
    "customer": _one_by_one(lambda who, cus: customers.retrieve(who, cus, CustomerRetrieve())),
    "payment_method": _one_by_one(lambda who, pm: payment_methods.retrieve(who, pm, PaymentMethodRetrieve())),
    "payment_intent": _one_by_one(lambda who, pi: payments.render(payments.load(who, pi))),
    "setup_intent": _one_by_one(setup_intents.retrieve),
    "charge": charges.by_ids,
}


def _cannot(path: str) -> InvalidRequest:
    return InvalidRequest(f"This property cannot be expanded ({path}).", code="parameter_invalid", param="expand")


Tree = dict[str, "Tree"]


def paths_tree(kind: str, paths: Sequence[str], *, in_list: bool = False) -> Tree:
    """The expand paths as a tree of fields, refusing (400, param expand) what cannot be expanded."""
    tree: Tree = {}
    for path in paths:
        bare = path.removeprefix("data.") if in_list else path
        parts = bare.split(".")
        if len(parts) > MAX_LEVELS:
            raise InvalidRequest(f"You cannot expand more than {MAX_LEVELS} levels of a property ({path}).", code="parameter_invalid",
                                 param="expand")  # fmt: skip
        node, current = tree, kind
        for part in parts:
            target = FIELDS.get(current, {}).get(part)
            if target is None:
                raise _cannot(path)
            node = node.setdefault(part, {})
            current = target
    return tree


def expand(principal: Principal, kind: str, objects: list[dict[str, Any]], tree: Tree) -> None:
    """Expands `tree` in `objects` (rendered answers, changed in place): one load per field for all
    of them, each distinct id read once."""
    for field, below in tree.items():
        target = FIELDS[kind][field]
        if target == DOMAIN:
            continue
        ids = sorted({o[field] for o in objects if isinstance(o.get(field), str)})
        found = LOADERS[target](principal, ids) if ids else {}
        for o in objects:
            if isinstance(o.get(field), str) and o[field] in found:
                o[field] = found[o[field]]
        if below:
            # Each object once, even where several answers name the same one.
            inner = list({id(o[field]): o[field] for o in objects if isinstance(o.get(field), dict)}.values())
            expand(principal, target, inner, below)


def run(
    principal: Principal, kind: str, params: P, operation: Callable[[P], dict[str, Any]], *, handled: Sequence[str] = (),
    in_list: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """`operation` (one domain call) with the expand paths it shows itself (`handled`), then the
    rest expanded in its answer (a list's `data`). Unknown paths are refused before it runs, so a
    write refused for them writes nothing."""
    if principal.key_type == "publishable" or not params.expand:
        return operation(params)  # a publishable key expands nothing: its domain refuses what it asks
    tree = paths_tree(kind, params.expand, in_list=in_list)
    theirs = [("data." if in_list else "") + field for field in tree if field in handled]
    answer = operation(params.model_copy(update={"expand": theirs}))
    expand(principal, kind, answer["data"] if in_list else [answer], tree)
    return answer
