"""Lambda's execution environments, locally: concurrent invocations of a function each get a
container of their own, as in Lambda.

A container is a copy of the function's handler module, imported on its own: its module state
(powertools resolvers and batch processors hold the current event) is never shared between
invocations running at the same time. Containers are made on demand up to a bound, and an idle one
is reused (warm) before another is made; beyond the bound an invocation waits for a free one. The
shared layer (`orgshare`) is imported once per process, as everything a copy imports; what its
libraries keep process-wide for the invocation in hand is made per thread (see isolation.py).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from localrun import isolation

MAX_CONTAINERS = 16  # per function; Lambda's reserved concurrency, locally
_serial = itertools.count(1)  # module names stay unique across every pool of the process


class Container:
    """One copy of a handler module, serving one invocation at a time."""

    def __init__(self, function_name: str, code_uri: Path, module_name: str, attr: str) -> None:
        spec = importlib.util.spec_from_file_location(f"fn_{function_name}_{module_name}_{next(_serial)}", code_uri / f"{module_name}.py")
        assert spec and spec.loader
        self.module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = self.module  # dataclasses and pydantic look their module up by name
        spec.loader.exec_module(self.module)
        self.handler: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(self.module, attr)


class Pool:
    """Containers of one function: idle ones reused (most recent first, the warmest), new ones made
    while fewer than `bound` exist, otherwise a wait for one to come free."""

    def __init__(self, make: Callable[[], Container], bound: int = MAX_CONTAINERS) -> None:
        isolation.install()  # what the handlers' libraries keep process-wide, per invocation
        self.make, self.bound = make, bound
        self._idle: list[Container] = [make()]  # the first now: an import error shows at start, not on a request
        self._count = 1
        self._changed = threading.Condition()

    @property
    def size(self) -> int:
        return self._count

    @contextmanager
    def container(self) -> Iterator[Container]:
        with self._changed:
            self._changed.wait_for(lambda: self._idle or self._count < self.bound)
            container = self._idle.pop() if self._idle else None
            if container is None:
                self._count += 1  # claimed now, made below outside the lock: an import takes a while
        if container is None:
            try:
                container = self.make()
            except BaseException:
                with self._changed:
                    self._count -= 1
                    self._changed.notify()
                raise
        try:
            yield container
        finally:
            with self._changed:
                self._idle.append(container)
                self._changed.notify()
