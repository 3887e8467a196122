"""Requests of an account whose customers are still moving into the shared pool: whatever such a
request names that has not moved yet is moved first, there and then, by the same conditional
moves the worker makes, so the request reads and writes it in the shared pool only."""

from __future__ import annotations

from typing import Any

from orgshare.domain import auth
from orgshare.domain.migration.moves import Move, move_customers, move_method
from orgshare.domain.principal import Principal
from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import migration as store
from orgshare.storage.keys import PoolScope


def _move(principal: Principal) -> Move | None:
    if principal.source_pool is None:
        return None
    account = auth.cached_account(principal.org, principal.account, get_settings().account_cache_seconds) or {}
    joined = account.get(f"sharing_{principal.mode}") or {}
    if not joined.get("enablement"):  # shared from its creation (a sandbox's copy): nothing to move
        return None
    return Move(
        org=principal.org, mode=principal.mode, enablement=str(joined["enablement"]),
        source=PoolScope(principal.org, principal.source_pool, principal.mode), target=principal.scope, by_request=True,
    )  # fmt: skip


def source_scope(principal: Principal) -> PoolScope | None:
    """The pool the account's customers are still moving from, while they are."""
    if not principal.migrating or principal.source_pool is None:
        return None
    return PoolScope(principal.org, principal.source_pool, principal.mode)


def ensure_customer(principal: Principal, cus: str | None) -> bool:
    """Moves `cus` into the shared pool now if it is still in the pool the account came from;
    whether the account is still moving (and so whether reading it again may find it now)."""
    if not cus or not principal.migrating or principal.source_pool is None or not id_time_ms(cus):
        return False
    move = _move(principal)
    if move is not None:
        move_customers(move, [cus])
    return move is not None


def ensure_method(principal: Principal, pm: str) -> bool:
    """Moves payment method `pm` (with its customer, if it has one) into the shared pool if it is
    still in the pool the account came from; whether it moved anything. Unattached methods are
    found no other way, so this holds after the customers have all moved, too."""
    if principal.source_pool is None or not id_time_ms(pm):
        return False
    move = _move(principal)
    if move is None:
        return False
    found: dict[str, Any] | None = store.method(move.source, principal.account, pm)
    if found is None:
        return False
    if found.get("customer"):
        return bool(move_customers(move, [str(found["customer"])]))
    move_method(move, found)
    return True
