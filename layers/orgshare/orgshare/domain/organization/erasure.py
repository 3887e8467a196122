"""Erasing a customer across the organization (its right to be forgotten): one call redacts the
customer's personal data in its pool's shared record and takes every account's overlay away,
destroys its payment methods (the sealed numbers and their data keys go with the items: nothing is
left to open), redacts the personal fields of every account's payments, charges, refunds,
checkout sessions and setup intents (kept, for accounting), sends customer.deleted to every
account of the pool, and leaves a record of who erased it, when, why, and how much it redacted.

The work is planned from what the tables hold and committed in batches (storage/erasure.py): each
batch conditional, with the record's counters. A customer too big for one call (hundreds of
payments) leaves the record `in_progress`; calling again goes on where it stopped (what is done is
marked, or gone), and a run that died is the same as one that stopped. Once `succeeded`, calling
again answers the same record: no second customer.deleted."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from orgshare.domain.changes import change_record
from orgshare.domain.organization import consents
from orgshare.domain.organization.access import require_operate, require_view
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import Conflict, ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.params.org_privacy import CustomerErase, CustomerErasureList
from orgshare.storage import charges as charges_store
from orgshare.storage import checkout as checkout_store
from orgshare.storage import customer_search as search_index
from orgshare.storage import customers as customers_store
from orgshare.storage import erasure as store
from orgshare.storage import keys
from orgshare.storage import payment_methods as methods_store
from orgshare.storage import payments as payments_store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.storage.keys import PoolScope
from orgshare.wire.lists import list_object, page

REDACTED = ("customer", "account_overlays", "payment_intents", "charges", "refunds", "checkout_sessions", "setup_intents")
DESTROYED = ("cards", "other_payment_methods")
KEPT = ("consents",)
PAGE = 50  # items read at a time from one index
DEFAULT_BUDGET_SECONDS = 20.0  # of a call's work, inside API Gateway's 29 s
_ATTEMPTS = 3
_NO_BILLING = {"address": dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state")), "email": None, "name": None,
               "phone": None}  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """Writes that go together (in one transaction), and what they count."""

    writes: list[dict[str, Any]]
    counts: dict[str, int]


Plan = tuple[list[Unit], dict[str, Any] | None]  # a step's next units, and the change record that goes with them


class _OutOfTime(Exception):
    """The call's budget is spent: the record stays in progress, the next call goes on."""


def render(record: dict[str, Any]) -> dict[str, Any]:
    counts = record.get("counts") or {}

    def group(names: tuple[str, ...]) -> dict[str, int]:
        return {name: int(counts.get(name, 0)) for name in names}

    return {
        "id": record["id"], "object": "customer_erasure", "customer": record["customer"], "status": record["status"],
        "reason": record.get("reason"), "requested_by": record["requested_by"], "created": record["created"],
        "completed_at": record.get("completed_at"), "livemode": record["mode"] == "live",
        "redacted": group(REDACTED), "destroyed": group(DESTROYED), "kept": group(KEPT),
    }  # fmt: skip


class _Run:
    """One call's work on an erasure: commits units in batches, each with the record's counters,
    until done or out of time."""

    def __init__(self, principal: Principal, record: dict[str, Any], accounts: list[dict[str, Any]], deadline: float) -> None:
        self.principal, self.record, self.accounts, self.deadline = principal, record, accounts, deadline
        self.customer: str = record["customer"]
        self.scope = PoolScope(record["org"], record["pool"], record["mode"])
        self.batches = 0

    def commit(self, units: list[Unit], change: dict[str, Any] | None = None, *, cursor: int | None = None, done: bool = False) -> None:
        """Units in transactions of at most BATCH_WRITES writes, in order, each with the record's
        counters (the change, the cursor and being done go with the first, the last and the last)."""
        batches: list[list[Unit]] = [[]]
        for unit in units:
            if batches[-1] and sum(len(u.writes) for u in batches[-1]) + len(unit.writes) > store.BATCH_WRITES:
                batches.append([])
            batches[-1].append(unit)
        if batches == [[]] and change is None and cursor is None and not done:
            return
        for n, batch in enumerate(batches):
            if self.batches and time.monotonic() > self.deadline:  # every call moves on by a batch at least
                raise _OutOfTime
            self.batches += 1
            last = n == len(batches) - 1
            counts: dict[str, int] = {}
            for unit in batch:
                for name, amount in unit.counts.items():
                    counts[name] = counts.get(name, 0) + amount
            record_update = store.progress(self.record, counts, cursor=cursor if last else None,
                                           done_at=int(time.time()) if last and done else None)  # fmt: skip
            store.commit([w for u in batch for w in u.writes], record_update, change if n == 0 else None)

    # -- the steps, in order; each plans its units from what the tables hold now ------------------
    def erase_customer(self) -> Iterator[Plan]:
        """The shared record becomes a tombstone (no personal data, in no list or index), with the
        customer.deleted event for every account of the pool, and the customer leaves the duplicate
        lists of sharing enablements."""
        found = store.customer_in([self.scope], self.customer)
        shared = found[0][1] if found else None
        if shared is None or shared.get("erasure") == self.record["id"]:
            return
        tombstone = {"id": self.customer, "created": shared["created"], "version": shared["version"] + 1, "deleted": True,
                     "erasure": self.record["id"]}  # fmt: skip
        writes = [store.tombstone_put(self.scope, tombstone, shared["version"])]
        if shared.get("email") and not shared.get("deleted"):
            enablements = [e["id"] for e in store.enablements(self.scope.org, self.scope.mode)]
            named = store.duplicates_naming(self.scope.org, self.scope.mode, enablements, shared["email"], self.customer)
            writes += [store.drop_from_duplicate(d, self.customer) for d in named]
        change = None
        if not shared.get("deleted"):  # a customer deleted before was announced then
            deleted = {"id": self.customer, "object": "customer", "deleted": True}  # no personal data, not even in the event
            change = change_record(self.principal, RequestInfo(self.record["request"]), "customer.deleted", deleted, audience="pool",
                                   actor=self.record["requested_by"])  # fmt: skip
        yield [Unit(writes, {"customer": 1})], change

    def _destroy(self, method: dict[str, Any], link: dict[str, Any] | None) -> Unit:
        """A payment method gone for good (its item held the sealed number and its encrypted data
        key: nothing else did), with its copy under the customer; its checkout consents kept."""
        where = methods_store.canonical_key(self.scope, method)
        pk, sk = where["pk"]["S"], where["sk"]["S"]
        writes = [store.delete(link["pk"], link["sk"]), store.delete_method(where)] if link else [store.delete(pk, sk)]
        kept = []
        if method.get("type") == "card":
            trail = payments_store.usage_of(self.scope, method["id"], limit=1000, after=None, before=None, descending=True)
            kept = [consents.checkout_consent(r) for r in trail if r.get("object") == "payment_method_consent"]
            writes += [store.keep_consent(self.scope.org, self.scope.mode, self.customer, c) for c in kept]
        kind = "cards" if method.get("type") == "card" else "other_payment_methods"
        return Unit(writes, {kind: 1, "consents": len(kept)})

    def destroy_payment_methods(self) -> Iterator[Plan]:
        links = [i for i in customers_store.partition(self.scope, self.customer) if i["sk"].startswith(("PM#", "XPM#"))]
        yield [self._destroy(link, link) for link in links], None

    def remove_overlays(self) -> Iterator[Plan]:
        overlays = customers_store.partition(self.scope, self.customer, prefix="ACCT#")
        # The customer's search index items hold its name, email, phone and metadata in their keys.
        indexed = customers_store.partition(self.scope, self.customer, prefix=search_index.SEARCH_SK)
        units = [Unit([store.delete(o["pk"], o["sk"])], {"account_overlays": 1}) for o in overlays]
        yield units + [Unit([store.delete(i["pk"], i["sk"])], {}) for i in indexed], None

    def _pages(
        self, read: Callable[[str | None], list[dict[str, Any]]], cursor: Callable[[dict[str, Any]], str]
    ) -> Iterator[list[dict[str, Any]]]:
        after = None
        while True:
            got = read(after)
            if got:
                yield got
            if len(got) < PAGE:
                return
            after = cursor(got[-1])

    def redact_account(self, account: str) -> Iterator[Plan]:
        """One account's sessions and setup intents, charges (with their refunds), payment intents,
        and the cards its payments used that are attached to nobody now (a one-off card)."""
        org, mode, cus, erasure = self.scope.org, self.scope.mode, self.customer, self.record["id"]
        for refs in self._pages(
            lambda after: checkout_store.customer_refs(org, account, mode, cus, limit=PAGE, after=after), lambda r: r["sk"]
        ):
            wanted = [(checkout_store.session_key(org, account, mode, r["id"]) if r["sk"].startswith("CS#")
                       else checkout_store.setup_intent_key(org, account, mode, r["id"])) for r in refs]  # fmt: skip
            units = []
            for item in store.items([(w["pk"]["S"], w["sk"]["S"]) for w in wanted]):
                session = item["sk"] == keys.CHECKOUT_SESSION_SK
                personal = ("customer_email", "client_reference_id") if session else ("description",)
                if any(item.get(f) for f in personal) or item.get("metadata"):
                    write = store.redact(
                        item["pk"], item["sk"], {"metadata": {}}, tuple(f for f in personal if f in item), version=item["version"]
                    )
                    units.append(Unit([write], {"checkout_sessions" if session else "setup_intents": 1}))
            yield units, None
        used: set[str] = set()
        read_charges = lambda after: charges_store.customer_charges(org, account, mode, cus, limit=PAGE, after=after, before=None,  # noqa: E731
                                                                    descending=False)  # fmt: skip
        for charges in self._pages(read_charges, lambda c: c["id"]):
            units = []
            for charge in charges:
                used.add(charge["payment_method"])
                if charge.get("erasure"):
                    continue
                refunds = list((charge.get("refunds") or {}).keys())
                own = store.items([(keys.refund_pk(org, account, mode, r), keys.refund_sk(r)) for r in refunds])
                units += [Unit([store.redact(r["pk"], r["sk"], {"metadata": {}}, erasure=erasure)], {"refunds": 1}) for r in own
                          if not r.get("erasure")]  # fmt: skip
                sets = {"billing_details": _NO_BILLING, "metadata": {}, "payment_method_details.card.fingerprint": None,
                        **{f"refunds.{r}.metadata": {} for r in refunds}}  # fmt: skip
                units.append(Unit([store.redact(charge["pk"], charge["sk"], sets, ("description",), erasure=erasure)], {"charges": 1}))
            yield units, None
        read_intents = lambda after: payments_store.customer_intents(org, account, mode, cus, limit=PAGE, after=after)  # noqa: E731
        for intents in self._pages(read_intents, lambda i: i["id"]):
            used |= {i["payment_method"] for i in intents if i.get("payment_method")}
            yield [Unit([store.redact(i["pk"], i["sk"], {"metadata": {}}, ("description",), erasure=erasure, version=i["version"])],
                        {"payment_intents": 1}) for i in intents if not i.get("erasure")], None  # fmt: skip
        units = []
        for pm in sorted(used):
            method, _ = methods_store.get(self.scope, pm, account)
            if method is not None and method.get("customer") in (None, cus):
                units.append(self._destroy(method, None))
        yield units, None

    def run(self) -> None:
        self._steps([self.erase_customer, self.destroy_payment_methods, self.remove_overlays])
        for n in range(int(self.record.get("cursor") or 0), len(self.accounts)):
            self._steps([partial(self.redact_account, str(self.accounts[n]["id"]))])
            self.commit([], cursor=n + 1)  # this account is done: a later call starts at the next
        self.commit([], done=True)

    def _steps(self, steps: list[Callable[[], Iterator[Plan]]]) -> None:
        for step in steps:
            for _ in range(_ATTEMPTS):
                try:
                    for units, change in step():
                        self.commit(units, change)
                    break
                except ConditionFailed:
                    continue  # a write raced this batch (nothing of it was written): plan the step again
            else:
                raise Conflict("This customer kept changing while it was being erased; call erase again to go on.")


def _load(principal: Principal, erasure: str) -> dict[str, Any]:
    found = store.get(principal.org, principal.mode, erasure) if erasure.startswith("cer_") and id_time_ms(erasure) else None
    if found is None:
        raise ResourceMissing("customer_erasure", erasure)
    return found


def erase(principal: Principal, customer: str, params: CustomerErase, request: RequestInfo,
          budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> dict[str, Any]:  # fmt: skip
    """Erases the customer (or goes on with its erasure, or answers it once done)."""
    require_operate(principal)
    deadline = time.monotonic() + budget_seconds
    accounts = consents.organization_accounts(principal)
    claimed = store.claimed(principal.org, principal.mode, customer) if customer.startswith("cus_") else None
    if claimed is None:
        located = consents.locate(principal, customer, accounts)
        requested_by = {**principal.actor(), "type": "organization"}  # an organization operation, whichever key asked
        record: dict[str, Any] = {
            "id": new_id("cer"), "org": principal.org, "mode": principal.mode, "customer": customer, "status": "in_progress",
            "reason": params.reason, "requested_by": requested_by, "created": int(time.time()), "request": request.id,
            "pool": located.scope.pool, "owner": located.owner, "owner_kind": located.owner_kind, "cursor": 0,
            "counts": dict.fromkeys((*REDACTED, *DESTROYED, *KEPT), 0),
        }  # fmt: skip
        try:
            store.create(record)
        except ConditionFailed:  # a concurrent call made the customer's erasure first: go on with that one
            claimed = store.claimed(principal.org, principal.mode, customer)
    record = _load(principal, claimed) if claimed else record
    if record["status"] != "succeeded":
        owner = consents.Located(PoolScope(principal.org, record["pool"], principal.mode), record["owner"], record["owner_kind"], {})
        with contextlib.suppress(_OutOfTime):  # the record says in_progress: call again to go on
            _Run(owner.principal(principal), record, accounts, deadline).run()
    return render(_load(principal, record["id"]))


def retrieve(principal: Principal, erasure: str) -> dict[str, Any]:
    require_view(principal)
    return render(_load(principal, erasure))


def list_erasures(principal: Principal, params: CustomerErasureList, url: str) -> dict[str, Any]:
    require_view(principal)
    if params.customer is not None:
        claimed = store.claimed(principal.org, principal.mode, params.customer)
        return list_object(url, [render(_load(principal, claimed))] if claimed else [], False)
    found, has_more = page(params, lambda limit, after, before, descending: store.list_page(
        principal.org, principal.mode, limit=limit, after=after, before=before, descending=descending))  # fmt: skip
    return list_object(url, [render(r) for r in found], has_more)
