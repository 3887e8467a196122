"""What the code calls, the template grants: IAM isn't enforced by moto or the local system, so
these checks stand in for a deployment refusing a call (an AccessDenied would be a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from localrun import template as tpl

# Every function that serves a request of an account may meet a customer or payment method not
# moved yet into the shared pool, and move it there and then (domain/migration/handover.py): the
# reads and the conditional transaction of puts, deletes and the enablement's counters.
MOVES_ON_TOUCH = ("CustomersFunction", "PaymentMethodsFunction", "PaymentsFunction", "CheckoutFunction", "SetupIntentsFunction",
                  "PagesFunction")  # fmt: skip
MOVE_ACTIONS = {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"}


def _granted(function: str, table: str) -> set[str]:
    template = tpl.load()
    res = tpl.resources(template, "AWS::Serverless::Function")[function]
    actions: set[str] = set()
    for policy in res["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            resources: Any = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            if any(table in str(r) for r in resources):
                actions |= set(statement["Action"])
    return actions


@pytest.mark.parametrize("function", MOVES_ON_TOUCH)
def test_functions_that_move_on_touch_may_make_the_moves(function: str) -> None:
    assert _granted(function, "DataTable") >= MOVE_ACTIONS, function


def test_the_migration_worker_has_what_it_uses_and_no_more() -> None:
    assert _granted("MigrationFunction", "DirectoryTable") == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert _granted("MigrationFunction", "DataTable") == MOVE_ACTIONS
    assert _granted("MigrationFunction", "EventsTable") == {"dynamodb:PutItem"}
