"""What the handlers' libraries keep for the invocation in hand in process-wide places, made safe
for concurrent invocations in one process (local containers, see containers.py). In Lambda a process
runs one invocation at a time, so none of this matters there.

- powertools' event handler stores the current event and Lambda context on a class
  (`BaseRouter.current_event = ...` in every resolver's `resolve`): every resolver of the process
  would read the event of whichever request came last. Here the two attributes belong to the thread
  that set them (the thread runs the invocation from start to end).
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

_PER_INVOCATION = ("current_event", "lambda_context")
_invocation = threading.local()
_installed = threading.Lock()


class _ThreadAttribute:
    """A class or instance attribute whose value belongs to the thread that set it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        try:
            return getattr(_invocation, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None  # as before: unset until a resolver runs

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(_invocation, self.name, value)


def install() -> None:
    """Patches them in this process; idempotent."""
    with _installed:
        if isinstance(BaseRouter.__dict__.get("current_event"), _ThreadAttribute):
            return
        # Read on instances (self.current_event): found in the class's own namespace.
        for name in _PER_INVOCATION:
            setattr(BaseRouter, name, _ThreadAttribute(name))
        # Set on the class itself (BaseRouter.current_event = ...): a data descriptor of its metaclass
        # sees that assignment; a descriptor in the class's namespace would be replaced by it.
        meta = type(f"PerThread{type(BaseRouter).__name__}", (type(BaseRouter),), {n: _ThreadAttribute(n) for n in _PER_INVOCATION})
        BaseRouter.__class__ = meta  # type: ignore[method-assign]  # a class's metaclass can be swapped for a subclass of it
