"""The catalogue of event types (what `enabled_events` may name) is exactly what the domain code emits."""

from __future__ import annotations

import ast
import re

import pytest

from orgshare import event_types
from tests.conftest import ROOT

DOMAIN = ROOT / "layers" / "orgshare" / "orgshare" / "domain"
_TYPE = re.compile(r"[a-z_]+(\.[a-z_]+)+")


def _strings(node: ast.AST) -> set[str]:
    """The dotted string literals in `node` (not, say, the "succeeded" of a condition)."""
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str) and _TYPE.fullmatch(n.value)}


def _emitted(tree: ast.AST) -> set[str]:
    """The type argument of every change_record(...) call: a literal, or every literal assigned to
    the variable passed (kind = "a" if ... else "b")."""
    found: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            # enablement_view.change(enablement, "sharing_enablement.<...>"): the enablements' own helper
            if getattr(call.func, "attr", None) == "change" and len(call.args) >= 2:
                found |= _strings(call.args[1])
                continue
            if getattr(call.func, "id", None) != "change_record" or len(call.args) < 3:
                continue
            kind = call.args[2]
            if isinstance(kind, ast.Name):
                assigned = [
                    n.value
                    for n in ast.walk(function)
                    if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == kind.id for t in n.targets)
                ]
                found |= {s for value in assigned for s in _strings(value)}
            else:
                found |= _strings(kind)
    return found


def test_the_catalogue_is_what_the_domain_emits() -> None:
    emitted = {t for path in DOMAIN.rglob("*.py") if path.name != "changes.py" for t in _emitted(ast.parse(path.read_text()))}
    assert emitted == event_types.EVENT_TYPES


@pytest.mark.parametrize(
    ("pattern", "accepted"),
    [("*", True), ("customer.*", True), ("charge.refunded", True), ("payment_intent.*", True), ("checkout.session.*", True),
     ("checkout.session.completed", True), ("checkout.*", False),
     ("bogus.event", False), ("bogus.*", False), ("customer", False), ("customer.created.*", False), (".*", False),
     ("**", False), ("customer.**", False), ("*.created", False), ("", False)],
)  # fmt: skip
def test_accepts(pattern: str, accepted: bool) -> None:
    assert event_types.accepts(pattern) is accepted


@pytest.mark.parametrize(
    ("pattern", "event_type", "matched"),
    [("*", "customer.created", True), ("customer.*", "customer.created", True), ("customer.*", "customers.created", False),
     ("customer.created", "customer.created", True), ("customer.created", "customer.updated", False),
     ("checkout.session.*", "checkout.session.expired", True)],
)  # fmt: skip
def test_matches(pattern: str, event_type: str, matched: bool) -> None:
    assert event_types.matches(pattern, event_type) is matched
